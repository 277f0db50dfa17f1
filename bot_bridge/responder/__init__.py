"""The mock bot behind the front page's `interpret`: sandboxes and the response maker."""

from bot_bridge.responder.maker import Action, ResponseMaker
from bot_bridge.responder.sandbox import Sandbox

__all__ = ["Action", "ResponseMaker", "Sandbox"]
