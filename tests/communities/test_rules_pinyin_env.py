"""pypinyin runs without its phrase dictionary (communities.rules.name_initials looks up one
character at a time): the initials are the same, the process lighter."""

import os
import subprocess
import sys

from communities import rules


def test_name_initials_one_character_at_a_time():
    assert rules.name_initials("张建华") == "zjh"
    assert rules.name_initials("Li 小明") == "lixm"
    assert rules.name_initials("欧阳·娜娜") == "oynn"


def test_pypinyin_is_loaded_without_its_phrase_dictionary():
    code = (
        "from communities import rules; rules.name_initials('张');"
        "from pypinyin import constants; print(len(constants.PHRASES_DICT))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPINYIN_")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert out.stdout.strip().splitlines()[-1] == "0"
