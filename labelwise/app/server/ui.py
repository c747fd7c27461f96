"""Routes: the web UI (static files, the page, the offline OpenAPI docs page)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

__all__ = ["STATIC", "router"]

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs() -> Any:
    return FileResponse(STATIC / "docs.html", headers={"Cache-Control": "no-cache"})


@router.get("/")
def index() -> Any:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})
