"""REST for actions."""

from fastapi import APIRouter

router = APIRouter()
