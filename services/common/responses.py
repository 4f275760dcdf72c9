"""A route's answer serialised once, for the routes where that pass shows (bulk answers).

FastAPI dumps a returned model to Python objects, validates them against the route's
``response_model`` again and only then serialises: three passes over a 10,000-item answer.
A route that already holds the validated model returns :func:`model_response` instead; its
``response_model`` still documents the answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Response
from pydantic import BaseModel


def model_response(
    model: BaseModel, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        model.model_dump_json(),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )
