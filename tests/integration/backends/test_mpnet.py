"""The real all-mpnet-base-v2 from its installed parts, offline: `embed:mpnet` gives unit-length
embeddings, reads 384 tokens, and ranks a paraphrase above an unrelated sentence."""

from __future__ import annotations

import numpy as np
import pytest

from rubricrl.backends.encoder import load_encoder
from rubricrl.backends.mpnet import MPNET_NAME


def test_mpnet_embeds_offline_and_ranks_a_paraphrase_above_an_unrelated_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = load_encoder("mpnet")
    assert (encoder.name, encoder.max_tokens) == (MPNET_NAME, 384)
    vectors = encoder.encode(
        [
            "The study measures accuracy on a held-out test set.",
            "Accuracy is evaluated on test data kept apart from training.",
            "Patients received the drug twice a day for a week.",
        ]
    )
    assert vectors.shape == (3, 768)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors[0]
    assert similarity[1] > similarity[2] + 0.2
