"""`bulk.instances` builds the objects a chunk of a sheet reads without Django's constructor: the
objects must be the ones `.only()` would give, and skipping the init signals must lose nothing."""

from __future__ import annotations

from django.db.models.signals import post_init, pre_init

from fugong.core import bulk
from fugong.dispatch.models import Report
from fugong.dispatch.reports.batch import ENTERPRISE_FIELDS
from fugong.enterprises.models import Enterprise
from tests.conftest import World
from tests.support.reports import DAY, at


def test_instances_carry_the_fields_only_would_and_load_the_others_on_use(world: World) -> None:
    qs = Enterprise.objects.filter(pk__in=[world.enterprise("nanguan").pk, world.enterprise("gaoxin").pk])
    built = {e.pk: e for e in bulk.instances(qs, ENTERPRISE_FIELDS)}
    for expected in qs.only(*ENTERPRISE_FIELDS):
        got = built[expected.pk]
        assert type(got) is Enterprise and not got._state.adding and got._state.db == "default"
        for name in ("uscc", "name", "tier", "baseline_headcount", "active_from", "region_id", "industry_id"):
            assert getattr(got, name) == getattr(expected, name), name
        assert got.get_deferred_fields() == expected.get_deferred_fields()
        assert got.contact_phone == Enterprise.objects.get(pk=got.pk).contact_phone  # a deferred field loads
        assert got.region.code == expected.region_id


def test_instances_of_every_field_save_as_an_update(world: World) -> None:
    enterprise = world.enterprise("nanguan")
    Report.objects.create(enterprise=enterprise, date=DAY, resumed=False, baseline_headcount=10, reported_back=0,
                          isolated=0, on_duty=0, revision_count=1, received_at=at(DAY, 9), updated_at=at(DAY, 9))  # fmt: skip
    (report,) = bulk.instances(Report.objects.filter(enterprise=enterprise, date=DAY))
    assert report.get_deferred_fields() == set()
    report.on_duty, report.resumed, report.reported_back = 3, True, 3
    report.save()
    assert Report.objects.get(enterprise=enterprise, date=DAY).on_duty == 3
    assert Report.objects.filter(enterprise=enterprise).count() == 1


def test_no_init_signal_receiver_exists_for_the_models_built_this_way() -> None:
    # if one is ever added, bulk.instances must send the signals (or the model must not use it)
    for model in (Enterprise, Report):
        assert not pre_init.has_listeners(model) and not post_init.has_listeners(model), model
