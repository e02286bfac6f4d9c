"""Whose conversation a message joins: the server decides the channel from the route, never the client.

A WeChat user's tracker is `wechat:<openid>`, a name the server gives; the public REST channel keeps the
sender id its client chose (the web widget's `web-…` ids, test and benchmark ids), but refuses one inside a
server-given namespace, so no REST client can post as `wechat:<openid>` and join that user's conversation.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

SEPARATOR = ":"
WECHAT = "wechat"
REST = "rest"
WEB = "web"
SERVER_NAMESPACES = (WECHAT,)
# What a REST client may say it is: the web widget is a REST client; nothing else can be claimed there.
REST_CHANNELS = (REST, WEB)


def conversation_id(channel: str, user_id: str) -> str:
    """The tracker's sender id of `user_id` on a channel whose ids the server namespaces."""
    return f"{channel}{SEPARATOR}{user_id}"


def in_server_namespace(sender: str) -> bool:
    """Whether a client-chosen sender id lies in a namespace the server gives to another channel."""
    namespace, separator, _ = sender.partition(SEPARATOR)
    return bool(separator) and namespace in SERVER_NAMESPACES


def rest_channel(metadata: Optional[Dict[str, Any]]) -> str:
    """The channel of a REST message: `web` when the widget says so, `rest` for anything else."""
    claimed = (metadata or {}).get("channel")
    return claimed if claimed in REST_CHANNELS else REST


def with_channel(metadata: Optional[Dict[str, Any]], channel: str) -> Dict[str, Any]:
    """The message metadata with `channel` set by the server (what the client put there is overwritten)."""
    return dict(metadata or {}, channel=channel)
