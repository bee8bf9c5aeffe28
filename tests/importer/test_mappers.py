"""The pure rules of the import: legacy statuses, city/state, dates, numbering plan."""

from __future__ import annotations

import pytest

from importer.images import relative_media_path
from importer.mappers import legacy_status, moment, plan_numeros, split_city


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Em Produção", "em_producao"),
        ("em producao", "em_producao"),
        ("EMPRODUCAO", "em_producao"),
        ("penden", "pendente"),
        (" Pronto ", "pronto"),
        ("concluído", "entregue"),
        ("concluido", "entregue"),
        ("Cancelado", "cancelado"),
        (None, "pendente"),
        ("???", "pendente"),
    ],
)
def test_legacy_status_follows_the_old_servers_reading(old, new):
    assert legacy_status(old, []) == new


@pytest.mark.parametrize(
    ("old", "city", "state"),
    [
        ("Vitória||ES", "Vitória", "ES"),
        ("Serra", "Serra", None),
        ("Serra||", "Serra", None),
        ("Vila Velha - es", "Vila Velha", "ES"),
        ("Rio - Centro", "Rio - Centro", None),
        (None, None, None),
    ],
)
def test_city_and_state_are_split(old, city, state):
    assert split_city(old) == (city, state)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("2026-01-10 09:00:00.123456", "2026-01-10T09:00:00.123456Z"),
        ("2026-11-29T21:22:41.491262+00:00", "2026-11-29T21:22:41.491262Z"),
        ("2026-01-10T12:00:00-03:00", "2026-01-10T15:00:00Z"),
        ("1761566400", "2025-10-27T12:00:00Z"),
        ("", None),
        (None, None),
        ("ontem", None),
    ],
)
def test_moments_become_iso_utc(old, new):
    assert moment(old) == new


def test_plan_keeps_the_oldest_numero_and_renumbers_after_the_highest():
    rows = [(1, "0000000005"), (2, "0000000005"), (3, None), (4, " "), (5, "ABC"), (6, "0000000007"), (7, "abc")]
    plan, lines, highest = plan_numeros(rows, taken={"0000000008"}, counter=0)
    assert plan == {
        1: "0000000005",
        2: "0000000009",
        3: "0000000010",
        4: "0000000011",
        5: "ABC",
        6: "0000000007",
        7: "abc",
    }
    assert len(lines) == 3 and highest == 11


@pytest.mark.parametrize(
    ("stored", "relative"),
    [
        ("pedidos\\12\\ab.jpg", "pedidos/12/ab.jpg"),
        ("/pedidos/media/pedidos/tmp/x.png", "pedidos/tmp/x.png"),
        ("pedidos/../../etc/passwd", None),
        ("C:\\x\\y.jpg", None),
        ("", None),
    ],
)
def test_stored_paths_are_normalised_and_kept_inside_the_media_folder(stored, relative):
    assert relative_media_path(stored) == relative
