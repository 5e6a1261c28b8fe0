"""Model specs to backends: `embedded`, `hf:PATH_OR_ID`, `openai:BASE_URL#MODEL`.

`embed` and `embed:PATH_OR_ID` also parse (model_spec.py), but name a sentence encoder for the
coverage grader (grading/load.py), never a chat backend.
"""

from __future__ import annotations

from functools import cache

from rubricrl.backends.base import ChatBackend
from rubricrl.backends.cache import CachedBackend, ResponseCache
from rubricrl.errors import InputError
from rubricrl.model_spec import SPEC_HELP, ModelSpec
from rubricrl.paths import home


@cache
def load_provider(spec: ModelSpec) -> ChatBackend:
    """The uncached provider named by `spec`, loaded once per process (weights are heavy)."""
    if spec.provider == "embed":
        raise InputError(
            f"model spec {str(spec)!r}: embed is a coverage grader, not a chat model "
            f"(use it as a grader; chat models: {SPEC_HELP})"
        )
    if spec.provider == "openai":
        from rubricrl.backends.openai_compat import OpenAIBackend

        return OpenAIBackend(base_url=spec.target, model=spec.model, spec=str(spec))
    from rubricrl.backends.local import LocalBackend

    return LocalBackend.from_spec(spec)


def default_cache() -> ResponseCache:
    return ResponseCache(home() / "responses.sqlite")


def load_backend(spec: ModelSpec, cache: ResponseCache | bool | None = True) -> ChatBackend:
    """The backend for `spec`, behind the shared response cache unless `cache` is False."""
    provider = load_provider(spec)
    if cache is False or cache is None:
        return provider
    return CachedBackend(provider, default_cache() if cache is True else cache)
