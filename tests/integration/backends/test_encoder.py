"""The shipped all-MiniLM-L6-v2, offline: unit-length embeddings that rank a paraphrase first."""

from __future__ import annotations

import numpy as np
import pytest

from rubricrl.backends.encoder import MINILM_NAME, load_encoder


def test_minilm_embeds_offline_and_ranks_a_paraphrase_above_an_unrelated_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = load_encoder()
    assert encoder.name == MINILM_NAME
    vectors = encoder.encode(
        [
            "The study measures accuracy on a held-out test set.",
            "Accuracy is evaluated on test data kept apart from training.",
            "Patients received the drug twice a day for a week.",
        ]
    )
    assert vectors.shape[0] == 3
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors[0]
    assert similarity[1] > similarity[2] + 0.2
