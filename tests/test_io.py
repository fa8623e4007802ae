import time

import numpy as np
import pytest

from rsmi.utils.io import CorruptFileError, load_npz, save_npz
from rsmi.coarse.results import FilterResult


def test_roundtrip_and_same_bytes(tmp_path):
    arrays = dict(a=np.arange(12, dtype=np.int8).reshape(3, 4), b=np.linspace(0, 1, 5).reshape(5, 1).T)
    save_npz(tmp_path / "x.npz", meta={"seed": 3, "T": 2.5}, **arrays)
    time.sleep(1.1)  # zip stamps would differ by now if they were the current time
    save_npz(tmp_path / "y.npz", meta={"T": 2.5, "seed": 3}, **arrays)
    assert (tmp_path / "x.npz").read_bytes() == (tmp_path / "y.npz").read_bytes()
    got, meta = load_npz(tmp_path / "x.npz", required=["a", "b"])
    assert meta == {"seed": 3, "T": 2.5}
    for k, v in arrays.items():
        assert got[k].dtype == v.dtype and (got[k] == v).all()
    # an ordinary npz: numpy reads it without pickle
    with np.load(tmp_path / "x.npz", allow_pickle=False) as f:
        assert sorted(f.files) == ["a", "b", "meta_json"]


def test_no_temporary_files_left(tmp_path):
    save_npz(tmp_path / "x.npz", a=np.zeros(3))
    assert [p.name for p in tmp_path.iterdir()] == ["x.npz"]


def test_object_arrays_refused(tmp_path):
    with pytest.raises(TypeError, match="pickle"):
        save_npz(tmp_path / "x.npz", a=np.array([{"x": 1}], dtype=object))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "missing", "empty"])
def test_corrupt_files_name_the_file(tmp_path, damage):
    path = tmp_path / "x.npz"
    save_npz(path, meta={"a": 1}, a=np.arange(1000))
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a zip at all" * 10)
    elif damage == "missing":
        path.unlink()
    else:
        path.write_bytes(b"")
    with pytest.raises(CorruptFileError, match=str(path)):
        load_npz(path)


def test_missing_key_named(tmp_path):
    save_npz(tmp_path / "x.npz", a=np.zeros(2))
    with pytest.raises(CorruptFileError, match="missing array.*weights"):
        load_npz(tmp_path / "x.npz", required=["weights"])


def test_filter_result_roundtrip_and_validation(tmp_path):
    r = FilterResult(np.ones((2, 2, 1)), np.zeros(1), np.arange(3.0), np.zeros(3), np.full(3, np.nan),
                     [0, 2], np.ones((2, 2, 2, 1)), meta={"x": 1}, extra={"critic": np.ones(4)})
    r.save(tmp_path / "r.npz")
    s = FilterResult.load(tmp_path / "r.npz")
    assert s.meta == {"x": 1} and (s.extra["critic"] == 1).all() and s.weight_matrix.shape == (4, 1)
    with pytest.raises(ValueError, match="biases"):
        FilterResult(np.ones((2, 2, 1)), np.zeros(2), np.zeros(3), np.zeros(3), np.zeros(3), [0], np.ones((1, 2, 2, 1)))
    save_npz(tmp_path / "bad.npz", weights=np.ones((2, 2, 1)), biases=np.zeros(3), history=np.zeros(2),
             history_err=np.zeros(2), val_history=np.zeros(2), snapshot_epochs=np.zeros(0, np.int64),
             snapshots=np.zeros((0, 2, 2, 1)))
    with pytest.raises(CorruptFileError, match="bad.npz"):
        FilterResult.load(tmp_path / "bad.npz")
    save_npz(tmp_path / "nan.npz", weights=np.full((2, 2, 1), np.nan), biases=np.zeros(1), history=np.zeros(2),
             history_err=np.zeros(2), val_history=np.zeros(2), snapshot_epochs=np.zeros(0, np.int64),
             snapshots=np.zeros((0, 2, 2, 1)))
    with pytest.raises(CorruptFileError, match="nan.npz: inconsistent filter result .weights contain non-finite"):
        FilterResult.load(tmp_path / "nan.npz")


def test_written_files_get_ordinary_permissions(tmp_path):
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    save_npz(tmp_path / "x.npz", a=np.zeros(2))
    from rsmi.utils.io import atomic_write_text

    atomic_write_text(tmp_path / "t.csv", "a\n")
    for name in ("x.npz", "t.csv"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~mask


def test_random_bytes_are_refused_without_pickle_advice(tmp_path):
    """issue 28: numpy takes a file that is no zip archive for a pickle and ends its error with the
    advice to load it with allow_pickle=True, which is never right for a result file."""
    import os

    path = tmp_path / "random.npz"
    path.write_bytes(os.urandom(4096).replace(b"PK", b"pk").replace(b"\x93N", b"xN"))
    with pytest.raises(CorruptFileError) as exc:
        load_npz(path)
    text = str(exc.value)
    assert text.startswith(f"{path}: not a readable .npz archive (not a zip file")
    assert "pickle" not in text.lower()
    assert "delete it and run the same snakemake command again" in text
    np.save(tmp_path / "single.npy", np.arange(3))
    (tmp_path / "single.npy").rename(tmp_path / "single.npz")
    with pytest.raises(CorruptFileError, match=r"single.npz: not a readable .npz archive \(it is a single .npy array\)"):
        load_npz(tmp_path / "single.npz")
