"""A third-party plugin installed with an entry point in the ``community_segments`` group
adds its fields to the demo host; one that claims a taken key stops start-up, naming both."""

from __future__ import annotations

import json
import os

import pytest

from .cli_runner import Cli

PLUGIN = '''
from community_segments import hookimpl
from community_segments.fields import FilterField


@hookimpl
def segments_filter_fields(host):
    return [FilterField(key={key!r}, label="Shoe size", type="number",
                        column=host.user_model.post_count)]
'''


def install_plugin(folder, key: str) -> str:
    """A module plus a ``.dist-info`` with its entry point: what pip would leave on sys.path."""
    (folder / "shoe_sizes.py").write_text(PLUGIN.format(key=key))
    info = folder / "shoe_sizes-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shoe-sizes\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[community_segments]\nshoe_sizes = shoe_sizes\n")
    return str(folder)


def cli_with(tmp_path, key: str) -> Cli:
    cli = Cli(f"sqlite:///{tmp_path / 'plugins.sqlite'}")
    cli.env["PYTHONPATH"] += os.pathsep + install_plugin(tmp_path, key)
    return cli


def test_an_entry_point_plugin_field_is_listed_with_its_provider_and_usable(tmp_path):
    cli = cli_with(tmp_path, "shoe_size")
    rows = {row["key"]: row for row in json.loads(cli.ok("segments", "fields", "--json"))}
    assert rows["shoe_size"]["type"] == "number"
    assert rows["shoe_size"]["provider"] == "shoe_sizes"
    assert "shoe_size" in cli.ok("segments", "fields")
    assert cli.count({"field": "shoe_size", "op": "gte", "value": 0}) == 0


@pytest.mark.parametrize("command", [("segments", "fields"), ("segments", "list")])
def test_a_plugin_claiming_a_taken_key_is_a_start_up_error_naming_both(tmp_path, command):
    line = cli_with(tmp_path, "email").fails(*command)
    assert "email" in line and "shoe_sizes" in line and "community_segments.demo" in line
