"""REST for governance."""

from fastapi import APIRouter

router = APIRouter()
