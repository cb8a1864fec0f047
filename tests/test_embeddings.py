"""The bundled embedding function: shape, normalisation, order, similar texts closer than unrelated ones,
checksum failures with a clear error, and the Chroma adapter."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.embeddings import (
    DIMENSION,
    MODEL_NAME,
    TOKENIZER_PATH,
    ChecksumError,
    ChromaEmbeddingFunction,
    MiniLMEmbeddings,
    default_embeddings,
    default_model_path,
)
from assistant.errors import ConfigError, InputError


@pytest.fixture(scope="module")
def emb() -> MiniLMEmbeddings:
    return default_embeddings()


def cos(a: Any, b: Any) -> float:
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))


def test_default_embeddings_is_loaded_once(emb: MiniLMEmbeddings) -> None:
    assert default_embeddings() is emb
    assert emb.name == MODEL_NAME


def test_shape_and_normalisation(emb: MiniLMEmbeddings) -> None:
    texts = ["Firmware updates are signed.", "x", "A much longer sentence " * 40, "Ünïcödé ✓ works", "   "]
    arr = emb.embed_array(texts)
    assert arr.shape == (len(texts), DIMENSION) and arr.dtype == np.float32
    assert np.allclose(np.linalg.norm(arr, axis=1), 1.0, atol=1e-5)
    assert np.isfinite(arr).all()
    docs = emb.embed_documents(texts)
    assert len(docs) == len(texts) and all(len(v) == DIMENSION for v in docs)
    assert all(isinstance(x, float) for x in docs[0])
    q = emb.embed_query("Firmware updates are signed.")
    assert len(q) == DIMENSION
    assert np.allclose(q, arr[0], atol=1e-6)


def test_empty_input(emb: MiniLMEmbeddings) -> None:
    assert emb.embed_array([]).shape == (0, DIMENSION)
    assert emb.embed_documents([]) == []


def test_blank_text_gets_a_vector(emb: MiniLMEmbeddings) -> None:
    blank, dot = emb.embed_array(["", "."])
    assert np.allclose(blank, dot)


def test_deterministic_and_independent_of_batching_and_order(emb: MiniLMEmbeddings) -> None:
    texts = [f"Statement {i}: " + "we patch devices " * (i % 7 + 1) for i in range(23)]
    one = emb.embed_array(texts)
    assert np.array_equal(one, emb.embed_array(texts))
    size = emb.batch_size
    try:
        emb.batch_size = 4
        small = emb.embed_array(texts)
    finally:
        emb.batch_size = size
    assert np.allclose(one, small, atol=1e-4)  # padding differs per batch, results do not
    rev = emb.embed_array(texts[::-1])[::-1]
    assert np.allclose(one, rev, atol=1e-4)
    single = np.asarray([emb.embed_query(t) for t in texts[:3]])
    assert np.allclose(one[:3], single, atol=1e-4)


def test_long_text_is_truncated_not_refused(emb: MiniLMEmbeddings) -> None:
    long = "sensor " * 5000
    v = emb.embed_array([long, "sensor " * 200])
    assert cos(v[0], v[1]) > 0.99  # both cut at max_tokens


@pytest.mark.parametrize(
    ("text", "similar", "unrelated"),
    [
        (
            "Every firmware update is digitally signed and devices check the signature.",
            "Devices refuse updates without a valid signature from the manufacturer.",
            "The cafeteria serves vegetarian lunch on Fridays.",
        ),
        (
            "We keep a list of all connected devices and their software versions.",
            "An inventory records every device and the firmware it runs.",
            "Our marketing team redesigned the company logo last year.",
        ),
        (
            "When an attack is detected, the on-call engineer follows the incident response plan.",
            "A written plan says who reacts to a security incident and how.",
            "The pump motor is painted blue and weighs twelve kilograms.",
        ),
    ],
)
def test_similar_texts_are_closer_than_unrelated_ones(emb: MiniLMEmbeddings, text: str, similar: str, unrelated: str) -> None:
    a, b, c = emb.embed_array([text, similar, unrelated])
    assert cos(a, b) > cos(a, c) + 0.2
    assert cos(a, b) > 0.4


def test_identical_text_has_similarity_one(emb: MiniLMEmbeddings) -> None:
    a, b = emb.embed_array(["access control for maintenance laptops"] * 2)
    assert cos(a, b) == pytest.approx(1.0, abs=1e-6)


# ------------------------------------------------------------------------------------------ checksums


def test_corrupt_tokenizer_gives_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "tokenizer.json"
    shutil.copy(TOKENIZER_PATH, bad)
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0x01  # flip one bit
    bad.write_bytes(bytes(data))
    with pytest.raises(ChecksumError) as info:
        MiniLMEmbeddings(tokenizer_path=bad)
    msg = str(info.value)
    assert f"tokenizer at {bad}" in msg
    assert "corrupt or was replaced" in msg and "reinstall" in msg
    assert isinstance(info.value, ConfigError) and isinstance(info.value, InputError)  # the CLI prints it, exit 2


def test_model_checksum_mismatch(tmp_path: Path) -> None:
    with pytest.raises(
        ChecksumError, match=r"embedding model at .* has sha256 [0-9a-f]{16}\.\.\., expected 0{16}\.\.\.; .*reinstall"
    ):
        MiniLMEmbeddings(model_sha256="0" * 64)


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"tokenizer not found at .*nothing\.json; reinstall the package"):
        MiniLMEmbeddings(tokenizer_path=tmp_path / "nothing.json")
    with pytest.raises(ConfigError, match=r"embedding model not found at .*model\.onnx; reinstall"):
        MiniLMEmbeddings(model_path=tmp_path / "model.onnx")


def test_model_file_is_the_packaged_one() -> None:
    path = default_model_path()
    assert path.is_file() and path.suffix == ".onnx"
    assert TOKENIZER_PATH.is_file()


# ---------------------------------------------------------------------------------- Chroma adapter


def test_chroma_embedding_function(emb: MiniLMEmbeddings) -> None:
    fn = ChromaEmbeddingFunction(emb)
    out = fn(["signed updates", "asset inventory"])
    assert len(out) == 2
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float32 and v.shape == (DIMENSION,) for v in out)
    assert np.allclose(out[0], emb.embed_query("signed updates"), atol=1e-6)
    q = fn.embed_query(["signed updates"])
    assert np.allclose(q[0], out[0])
    assert ChromaEmbeddingFunction.name() == "smm-langchain"
    assert fn.is_legacy() is False
    assert fn.get_config() == {}
    rebuilt = ChromaEmbeddingFunction.build_from_config({})
    assert np.allclose(rebuilt(["signed updates"])[0], out[0])


def test_chroma_accepts_the_adapter(tmp_path: Path, emb: MiniLMEmbeddings) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(tmp_path / "c"), settings=ChromaSettings(anonymized_telemetry=False))
    fn: Any = ChromaEmbeddingFunction(emb)
    col = client.create_collection("adapter-test", embedding_function=fn, metadata={"hnsw:space": "cosine"})
    col.add(ids=["a", "b"], documents=["devices check update signatures", "the canteen menu"])
    res = col.query(query_texts=["is firmware signed?"], n_results=1)
    assert res["ids"][0] == ["a"]
