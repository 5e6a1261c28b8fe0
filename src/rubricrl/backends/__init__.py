"""One way to talk to any language model: `load_backend(spec).batch(conversations, sampling)`."""

from rubricrl.backends.base import ChatBackend, Completion, Conversation, Message, Sampling
from rubricrl.backends.registry import load_backend

__all__ = ["ChatBackend", "Completion", "Conversation", "Message", "Sampling", "load_backend"]
