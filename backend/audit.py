"""The workspace's audit trail: every staff action in the workspace, with the signed-in account."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.numbering import utc_now_naive
from backend.workspace_models import WorkspaceEvent


def record(session: Session, actor: str, action: str, subject: str, detail: Optional[Dict[str, Any]] = None) -> None:
    """Add one audit row to the session's transaction (committed with the change it describes)."""
    session.add(WorkspaceEvent(at=utc_now_naive(), actor=actor, action=action, subject=subject[:128],
                               detail=json.dumps(detail, ensure_ascii=False) if detail else None))


def recent(factory: sessionmaker, limit: int = 50) -> List[WorkspaceEvent]:
    """The latest audit rows, newest first."""
    with factory() as session:
        return list(session.execute(select(WorkspaceEvent).order_by(WorkspaceEvent.id.desc()).limit(limit))
                    .scalars().all())
