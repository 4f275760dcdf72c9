"""REST for transfer."""

from fastapi import APIRouter

router = APIRouter()
