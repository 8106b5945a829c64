import io
import tarfile
from pathlib import Path

import pytest

from services.core.bundle_format import BundleFormatError, Flavour, detect_flavour
from services.forecaster.bundles import load_hooks, unpack_bundle
from services.forecaster.errors import BundleError


def make_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def file_member(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def link_member(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([file_member("/etc/evil")], "points outside"),
        ([file_member("../evil")], "points outside"),
        ([file_member("code/../../evil")], "points outside"),
        ([link_member("code/link", "/etc/passwd")], "leads outside"),
        ([link_member("code/link", "../../outside")], "leads outside"),
        ([link_member("hard", "../x", tarfile.LNKTYPE)], "leads outside"),
    ],
)
@pytest.mark.parametrize("python_has_filters", [True, False])
def test_unsafe_members_are_refused_and_nothing_is_written(
    tmp_path, members, message, python_has_filters, monkeypatch
):
    if not python_has_filters:  # Debian bookworm's Python 3.11.2 has no tarfile.data_filter
        monkeypatch.delattr(tarfile, "data_filter")
    archive = make_tar(tmp_path / "bad.tar.gz", members)
    with pytest.raises(BundleError, match=message):
        unpack_bundle(archive, tmp_path / "out" / "model", max_bytes=10**6)
    assert not (tmp_path / "out" / "model").exists()
    assert not (tmp_path / "evil").exists()


def test_devices_are_refused(tmp_path):
    info = tarfile.TarInfo("dev")
    info.type = tarfile.CHRTYPE
    with pytest.raises(BundleError, match="not a file or folder"):
        unpack_bundle(make_tar(tmp_path / "b.tar.gz", [(info, None)]), tmp_path / "m", 10**6)


def test_the_size_cap_counts_unpacked_bytes(tmp_path):
    archive = make_tar(tmp_path / "big.tar.gz", [file_member("a", b"0" * 600), file_member("b", b"0" * 600)])
    with pytest.raises(BundleError, match="more than 1000 bytes"):
        unpack_bundle(archive, tmp_path / "m", max_bytes=1000)


def test_not_a_tar_is_a_clear_error(tmp_path):
    (tmp_path / "x.tar.gz").write_bytes(b"not a tarball")
    with pytest.raises(BundleError, match="not a readable tar archive"):
        unpack_bundle(tmp_path / "x.tar.gz", tmp_path / "m", 10**6)


def test_a_safe_bundle_with_an_inside_link_unpacks(tmp_path):
    archive = make_tar(
        tmp_path / "ok.tar.gz",
        [file_member("1/saved_model.pb", b"pb"), link_member("current", "1/saved_model.pb")],
    )
    root = unpack_bundle(archive, tmp_path / "models" / "m", max_bytes=10**6)
    assert (root / "1" / "saved_model.pb").read_bytes() == b"pb"
    assert detect_flavour(root) is Flavour.LSTM


def test_flavours_are_found_from_the_contents(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "model.json").write_text("{}")
    assert detect_flavour(tmp_path / "p") is Flavour.PROPHET
    (tmp_path / "empty").mkdir()
    with pytest.raises(BundleFormatError, match="holds no model"):
        detect_flavour(tmp_path / "empty")


def test_each_bundle_imports_its_own_code_lib(tmp_path):
    for version in ("one", "two"):
        lib = tmp_path / version / "code" / "lib"
        lib.mkdir(parents=True)
        (lib / "shared_helper.py").write_text(f"VERSION = {version!r}\n")
        (tmp_path / version / "code" / "inference.py").write_text(
            "import shared_helper\n"
            "def handler(data, context):\n    return shared_helper.VERSION, 'text/plain'\n"
        )
    first = load_hooks(tmp_path / "one", "bundle_one")
    second = load_hooks(tmp_path / "two", "bundle_two")
    assert first.handler is not None and second.handler is not None
    assert first.handler(None, None)[0] == "one" and second.handler(None, None)[0] == "two"


def test_half_a_pair_of_hooks_is_refused(tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "inference.py").write_text("def input_handler(data, context):\n    return data\n")
    with pytest.raises(BundleError, match="both input_handler and output_handler"):
        load_hooks(tmp_path, "half")


def test_an_import_error_in_the_bundle_is_a_bundle_error(tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "inference.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(BundleError, match="failed to import: ModuleNotFoundError"):
        load_hooks(tmp_path, "broken")


def test_a_savedmodel_only_bundle_on_an_image_without_tensorflow_is_a_clear_bundle_error(
    tmp_path, monkeypatch
):
    import importlib.util

    from services.forecaster import runtimes

    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "saved_model.pb").write_bytes(b"pb")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tensorflow" else real(name, *a)
    )
    with pytest.raises(BundleError, match=r"no model\.onnx and this image has no TensorFlow"):
        runtimes.load_lstm(tmp_path)
