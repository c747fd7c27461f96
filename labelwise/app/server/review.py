"""Routes: review queue, accept/reject/fix, disagreements, gold, the dashboard."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from labelwise.app.server.bodies import GoldBody, ReviewBody
from labelwise.app.server.deps import current_user, store_of
from labelwise.app.store import Store, User

__all__ = ["router"]

router = APIRouter(tags=["review"])


@router.get("/api/projects/{pid}/review-queue", summary="Submitted annotations to review")
def review_queue(
    pid: int, limit: int = 20, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    return {"annotations": st.review_queue(user, pid, limit=limit)}


@router.post("/api/annotations/{aid}/review", summary="Accept, reject (with comment) or fix")
def review(
    aid: int, body: ReviewBody, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    return st.review(user, aid, body.action, comment=body.comment, result=body.result)


@router.get("/api/projects/{pid}/disagreements", summary="Tasks whose annotators disagree")
def disagreements(
    pid: int, limit: int = 50, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    return {"tasks": st.disagreements(user, pid, limit=limit)}


@router.put("/api/projects/{pid}/tasks/{tid}/gold", summary="Adjudicate: set the final answer")
def gold(
    pid: int,
    tid: int,
    body: GoldBody,
    user: User = Depends(current_user),
    st: Store = Depends(store_of),
) -> dict[str, Any]:
    return st.set_gold(user, pid, tid, body.result)


@router.get("/api/projects/{pid}/dashboard", summary="Progress, throughput, labels, agreement")
def dashboard(
    pid: int, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    return st.dashboard(user, pid)
