"""The application lifecycle of the service guide, as pure data and checks."""
from __future__ import annotations

from typing import Dict, Optional, Tuple

from reissue.knowledge import fact

SUBMITTED = "已提交"
REVIEWING = "审核中"
APPROVED = "审核通过"
REJECTED = "审核不通过"
ISSUED = "证书已发放"
ALL_STATUSES: Tuple[str, ...] = (SUBMITTED, REVIEWING, APPROVED, REJECTED, ISSUED)

ALLOWED: Dict[str, Tuple[str, ...]] = {
    SUBMITTED: (REVIEWING,),
    REVIEWING: (APPROVED, REJECTED),
    APPROVED: (ISSUED,),
    REJECTED: (),
    ISSUED: (),
}


def status_label(status: str) -> str:
    """A short plain-Chinese explanation of a status for the applicant."""
    labels = {
        SUBMITTED: f"申请已提交，等待{fact('reviewing_agency')}审核",
        REVIEWING: f"{fact('reviewing_agency')}正在审核您的补证信息",
        APPROVED: f"审核已通过，证书由{fact('printing_agency')}印制后发放",
        REJECTED: "审核没有通过，原因见下方说明",
        ISSUED: "补发的证书已发放",
    }
    return labels.get(status, status)


def transition_error(current: str, target: str, reason: Optional[str]) -> Optional[str]:
    """A Chinese explanation why `current` → `target` is not allowed, or None when it is."""
    if target not in ALL_STATUSES:
        return f"没有“{target}”这个状态。"
    if target == current:
        return f"申请已经是“{current}”状态了。"
    if target not in ALLOWED.get(current, ()):
        if target == ISSUED:
            return "只有审核通过的申请才能发放证书。"
        if not ALLOWED.get(current):
            return f"申请已是“{current}”，不能再改变状态。"
        allowed = "、".join(f"“{s}”" for s in ALLOWED[current])
        return f"“{current}”的申请只能改为{allowed}。"
    if target == REJECTED and not (reason and reason.strip()):
        return "审核不通过时必须填写原因，申请人会看到这个原因。"
    return None
