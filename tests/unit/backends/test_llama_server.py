"""The llama.cpp server helper without a server: missing extras are an InputError saying what to run."""

import pytest

from rubricrl.errors import InputError


def test_missing_llama_cpp_server_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from rubricrl.backends import llama_server

    real = llama_server.importlib.util.find_spec
    monkeypatch.setattr(
        llama_server.importlib.util,
        "find_spec",
        lambda name, *rest: None if name == "llama_cpp" else real(name, *rest),
    )
    server = llama_server.LlamaServer(llama_server.Path("model.gguf"))
    with pytest.raises(InputError, match="make setup-server"):
        server.start()
