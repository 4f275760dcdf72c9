"""REST for savings."""

from fastapi import APIRouter

router = APIRouter()
