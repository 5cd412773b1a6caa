"""Config: every setting documented, a TOML file can override any of them, unknown keys and
bad values are errors that name the file and the key."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner
from support.paths import ROOT, SEEDS

from corpus_clean.cli.command import cli
from corpus_clean.config import Config, ConfigError, load_config


def test_every_setting_is_documented_in_the_config_docstring():
    doc = Config.__doc__
    for f in dataclasses.fields(Config):
        assert f"    {f.name}:" in doc, f.name


def test_every_setting_is_named_in_the_settings_docs():
    readme = (ROOT / "docs" / "usage.md").read_text(encoding="utf-8")
    for f in dataclasses.fields(Config):
        assert f"`{f.name}`" in readme, f.name


def test_toml_overrides_any_setting(tmp_path):
    path = tmp_path / "pipeline.toml"
    path.write_text('spam_threshold = 0.7\nkeep = "longest"\nnear_threshold = 1\n'
                    "repeat_min_count = 4\nnear_dedup = false\n")
    config = load_config(path)
    assert (config.spam_threshold, config.keep, config.near_threshold) == (0.7, "longest", 1.0)
    assert (config.repeat_min_count, config.near_dedup) == (4, False)
    assert config.num_perm == Config().num_perm


@pytest.mark.parametrize("content, message", [
    ("spam_treshold = 0.6\n", "unknown setting 'spam_treshold'; did you mean 'spam_threshold'?"),
    ("spam_threshold = 'high'\n", "spam_threshold = 'high' must be a float"),
    ("spam_threshold = 1.5\n", "spam_threshold=1.5: must be a probability in [0, 1]"),
    ("num_perm = 0\n", "num_perm=0: must be at least 1"),
    ('keep = "shortest"\n', "keep='shortest': must be 'first' or 'longest'"),
    ("near_dedup = 1\n", "near_dedup = 1 must be a bool"),
    ("spam_threshold = \n", "not valid TOML"),
])
def test_bad_files_name_file_and_key(tmp_path, content, message):
    path = tmp_path / "pipeline.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_cli_config_file_and_option_override(tmp_path):
    path = tmp_path / "pipeline.toml"
    path.write_text("near_threshold = 0.9\nspam_threshold = 0.9\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [str(SEEDS), "-o", str(out), "-q", "--config", str(path),
                                      "--near-threshold", "0.85"])
    assert result.exit_code == 0, result.output
    used = json.loads((out / "stats.json").read_text())["config"]
    assert (used["near_threshold"], used["spam_threshold"]) == (0.85, 0.9)


def test_cli_bad_config_is_exit_1_with_one_line(tmp_path):
    path = tmp_path / "pipeline.toml"
    path.write_text("bogus = 1\n")
    result = CliRunner().invoke(cli, [str(SEEDS), "-o", str(tmp_path / "out"), "--config",
                                      str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}: unknown setting 'bogus'")
    assert len(result.stderr.strip().splitlines()) == 1
