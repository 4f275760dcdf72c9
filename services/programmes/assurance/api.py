"""REST for assurance."""

from fastapi import APIRouter

router = APIRouter()
