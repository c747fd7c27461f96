"""Request bodies of the HTTP API (pydantic models, one per write route)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "GoldBody",
    "LoginBody",
    "MemberBody",
    "PredictionIn",
    "ProjectCreate",
    "ProjectPatch",
    "ReviewBody",
    "SubmitBody",
    "TaskIds",
    "TaskIn",
    "TokenBody",
    "UpdateBody",
    "UserCreate",
    "UserPatch",
]


class LoginBody(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class TokenBody(BaseModel):
    name: str = Field("api", max_length=64)
    expires_days: float | None = Field(
        90, gt=0, le=3650, description="lifetime in days; null for a token that never expires"
    )


class UserCreate(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(min_length=8, max_length=1024)
    role: str = "annotator"


class UserPatch(BaseModel):
    role: str | None = None
    password: str | None = Field(None, min_length=8, max_length=1024)
    active: bool | None = None


class ProjectCreate(BaseModel):
    name: str = Field(max_length=200)
    config: dict[str, Any] | str
    description: str = ""
    overlap: int = 1
    queue_order: str = "sequential"
    seed: int = 0


class ProjectPatch(BaseModel):
    overlap: int | None = None
    queue_order: str | None = None
    description: str | None = None
    seed: int | None = None


class MemberBody(BaseModel):
    username: str


class TaskIds(BaseModel):
    ids: list[int] = Field(max_length=100_000)


class TaskIn(BaseModel):
    id: str | int | None = None
    data: dict[str, Any]


class SubmitBody(BaseModel):
    result: dict[str, Any]
    submission_id: str | None = Field(None, min_length=8, max_length=64)
    lead_time: float | None = None


class UpdateBody(BaseModel):
    result: dict[str, Any]
    lead_time: float | None = None


class ReviewBody(BaseModel):
    action: str
    comment: str = Field("", max_length=10_000)
    result: dict[str, Any] | None = None


class GoldBody(BaseModel):
    result: dict[str, Any] | None


class PredictionIn(BaseModel):
    item_id: str | int
    result: dict[str, Any]
    score: float | None = None
    source: str | None = None
