"""Deployer settings: each in docs/settings.md with its default; a bad value, one sentence."""

import re

import pytest

from mnist_core import settings
from mnist_core.errors import MnistError
from tests.conftest import ROOT


def _documented_rows():
    """`{name: default}` from docs/settings.md's table (`| `NAME` | `default` | what |`).

    `""` in the table is the empty default.
    """
    rows = re.findall(r"^\| `(MNIST_[A-Z_]+)` \| `([^`]*)` \|",
                      (ROOT / "docs" / "settings.md").read_text(), flags=re.MULTILINE)
    return {name: "" if default == '""' else default for name, default in rows}


def test_docs_list_every_setting_with_its_default():
    assert _documented_rows() == {name: s.default for name, s in settings.SETTINGS.items()}


def test_every_default_is_usable(monkeypatch):
    for name in settings.SETTINGS:
        monkeypatch.delenv(name, raising=False)
        settings.get(name)


def test_reads_the_environment_at_each_call(monkeypatch):
    monkeypatch.setenv("MNIST_MAX_TRAINED_MODELS", "3")
    assert settings.get("MNIST_MAX_TRAINED_MODELS") == 3
    monkeypatch.setenv("MNIST_TRAIN_RECIPES", " quick , strong,")
    assert settings.get("MNIST_TRAIN_RECIPES") == ("quick", "strong")
    monkeypatch.setenv("MNIST_TRAIN_RECIPES", "")
    assert settings.get("MNIST_TRAIN_RECIPES") == ()


@pytest.mark.parametrize("name, value", [("MNIST_MAX_TRAINED_MODELS", "-1"),
                                         ("MNIST_MAX_TRAIN_MINUTES", "soon"),
                                         ("MNIST_MAX_TRAIN_IMAGE_EPOCHS", "0")])
def test_refuses_an_unusable_value_in_one_sentence_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(MnistError) as refused:
        settings.get(name)
    message = str(refused.value)
    assert name in message and settings.SETTINGS[name].default in message
    assert message.count(". ") == 0 and "\n" not in message



@pytest.mark.parametrize("name, value", [("MNIST_TRUST_MIN_PROBABILITY", "0"),
                                         ("MNIST_TRUST_MIN_PROBABILITY", "1e-400"),
                                         ("MNIST_TRUST_MIN_PROBABILITY", "-0"),
                                         ("MNIST_CLIENT_HEADER", "X-Réal-IP"),
                                         ("MNIST_CLIENT_HEADER", "١٢")])
def test_refuses_a_value_that_silently_switches_the_trust_rule_or_the_address_off(
        monkeypatch, name, value):
    """A minimum probability of 0 made every visitor's label plausible (the poisoned ones too);
    a header name in another script than ASCII is on no request, so no visitor had an address
    (no per-address limit, no agreement): both were accepted without a word."""
    monkeypatch.setenv(name, value)
    with pytest.raises(MnistError) as refused:
        settings.get(name)
    message = str(refused.value)
    assert message.startswith(f"The environment variable {name}=") and "\n" not in message


def numeric_settings():
    return sorted(name for name, s in settings.SETTINGS.items()
                  if isinstance(s.parse(s.default), (int, float))
                  and not isinstance(s.parse(s.default), bool))


def past_their_bounds():
    """`(name, value)`: for each numeric setting, values it took before issue 22 and must not."""
    cases = []
    for name in numeric_settings():
        whole = isinstance(settings.SETTINGS[name].parse(settings.SETTINGS[name].default), int)
        cases += [(name, v) for v in ["99999999999", "9" * 30]
                  + ([] if whole else ["inf", "1e309", "1e30"])]
    return cases


@pytest.mark.parametrize("name, value", past_their_bounds())
def test_every_numeric_setting_refuses_non_finite_and_out_of_range_values(monkeypatch, name,
                                                                           value):
    # issue 22 (B1): MNIST_DRAWINGS_MAX_MB=inf (or 1e309) was accepted, then overflowed.
    for bad in (value, "nan", "-inf", "-1"):
        monkeypatch.setenv(name, bad)
        with pytest.raises(MnistError) as refused:
            settings.get(name)
        message = str(refused.value)
        assert message.startswith(f"The environment variable {name}=")
        assert re.search(r"from [\d,]+ to [\d,]+|above 0 and at most [\d,.e+]+", message)
        assert message.count(". ") == 0 and "\n" not in message
