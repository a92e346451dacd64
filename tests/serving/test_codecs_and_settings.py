"""The default handlers and the environment, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.serving import codecs
from emulator.serving.settings import ServingSettings, SettingsError


def test_csv_cells_become_floats_where_numeric() -> None:
    assert codecs.default_input_fn(b"1,-2.5e3,abc\n\n4,,x y\n", "text/csv; charset=utf-8") == [
        [1.0, -2500.0, "abc"],
        [4.0, "", "x y"],
    ]


def test_jsonlines_aliases_and_blank_lines() -> None:
    assert codecs.default_input_fn(b'{"a": 1}\n\n2\n', "application/x-jsonlines") == [{"a": 1}, 2]


def test_output_picks_the_first_supported_accept_and_has_no_trailing_newline() -> None:
    body, media = codecs.default_output_fn([[1, 2], [3, 4]], "image/png, text/csv;q=0.9, application/json")
    assert (body, media) == (b"1,2\n3,4", "text/csv")
    assert codecs.default_output_fn(7, "application/jsonlines") == (b"7", "application/jsonlines")


def test_unsupported_types_name_what_is_supported() -> None:
    with pytest.raises(codecs.UnsupportedContentType, match="application/x-npy.*text/csv, application/json"):
        codecs.default_input_fn(b"", "application/x-npy")
    with pytest.raises(codecs.NotAcceptable, match="image/png"):
        codecs.default_output_fn([1], "image/png")


def test_settings_defaults_and_submit_directory_search(tmp_path: Path) -> None:
    settings = ServingSettings.from_env({"SM_MODEL_DIR": str(tmp_path)})
    assert (settings.host, settings.port, settings.workers, settings.timeout_s) == ("0.0.0.0", 8080, 1, None)
    assert settings.submit_dir == tmp_path or settings.submit_dir == Path("/opt/ml/code")
    (tmp_path / "code").mkdir()
    assert ServingSettings.from_env({"SM_MODEL_DIR": str(tmp_path)}).submit_dir == tmp_path / "code"
    given = ServingSettings.from_env({"SM_MODEL_DIR": str(tmp_path), "SAGEMAKER_SUBMIT_DIRECTORY": "/x"})
    assert given.submit_dir == Path("/x")


def test_settings_reject_bad_numbers_by_name() -> None:
    with pytest.raises(SettingsError, match="SAGEMAKER_BIND_TO_PORT='http'"):
        ServingSettings.from_env({"SAGEMAKER_BIND_TO_PORT": "http"})
    with pytest.raises(SettingsError, match="SAGEMAKER_MODEL_SERVER_TIMEOUT='-1' must be greater than 0"):
        ServingSettings.from_env({"SAGEMAKER_MODEL_SERVER_TIMEOUT": "-1"})
