"""Every enum value has a Vietnamese and an English label."""

from __future__ import annotations

import enum
import inspect

import pytest

from models import enums
from models.enums import CouncilRole, Rating, Stage
from models.labels import LABELS, label

ALL_ENUMS = [
    obj
    for _, obj in inspect.getmembers(enums, inspect.isclass)
    if issubclass(obj, enum.Enum) and obj.__module__ == enums.__name__
]


@pytest.mark.parametrize("enum_cls", ALL_ENUMS, ids=lambda e: e.__name__)
def test_every_value_has_both_labels(enum_cls: type[enum.Enum]) -> None:
    for member in enum_cls:
        vi, en = LABELS[(enum_cls, member.value)]
        assert vi.strip() and en.strip()
        assert label(member) == vi and label(member, "en") == en


def test_vietnamese_labels_carry_diacritics() -> None:
    assert label(Rating.FAIL) == "Không đạt"
    assert label(Rating.EXCELLENT) == "Xuất sắc"
    assert label(CouncilRole.REVIEWER) == "Ủy viên phản biện"
    assert label(Stage.ACCEPTANCE) == "Đánh giá nghiệm thu"
    assert label(Stage.REGISTRATION, "en") == "Registration"


def test_stage_values_are_the_step_ids() -> None:
    assert [s.value for s in Stage] == [
        "task-list",
        "selection",
        "implementation",
        "acceptance",
        "registration",
    ]


def test_equal_values_of_different_enums_keep_their_own_labels() -> None:
    from models.enums import CouncilType

    assert label(CouncilType.ACCEPTANCE) == "Hội đồng nghiệm thu"
    assert label(Stage.ACCEPTANCE) == "Đánh giá nghiệm thu"


def test_no_label_is_given_twice() -> None:
    from models.labels import _ENTRIES

    assert len(LABELS) == len(_ENTRIES) == sum(len(e) for e in ALL_ENUMS)
