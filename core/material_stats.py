"""Material consumption report shapes, built from per-(day, fabric, type) groups (pure, no I/O)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["UNKNOWN_MATERIAL", "evolution", "material_name", "stats"]

UNKNOWN_MATERIAL = "NÃO INFORMADO"
OTHER_TYPE = "OUTROS"
RANKING_SIZE = 20
_FINISHES = ("OVERLOQUE", "ELÁSTICO", "ILHÓS", "EMENDA", "ILHÓS (QUANTIDADE)")


def material_name(raw: str) -> str:
    """Fabric names grouped as the old server did: spaces collapsed, case ignored, shown uppercase."""
    name = " ".join(raw.split()).upper()
    return name or UNKNOWN_MATERIAL


def _ranking(by_name: dict[str, list[float]], total_area: float) -> list[dict[str, Any]]:
    ranked = sorted(by_name.items(), key=lambda kv: (-kv[1][0], kv[0]))[:RANKING_SIZE]
    return [
        {
            "nome": name,
            "quantidade_itens": int(items),
            "area_total_m2": round(area, 2),
            "percentual_area": round(area / total_area * 100, 2) if total_area > 0 else 0.0,
        }
        for name, (area, items) in ranked
    ]


def stats(groups: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """The `GET /materiais/stats` answer: KPIs, fabric and finishing rankings, rankings per production type."""
    total_items = 0
    total_area = 0.0
    eyelets = items_with_eyelets = 0
    finishes = dict.fromkeys(_FINISHES, 0)
    by_material: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    by_type: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0]))
    by_day: dict[str, float] = defaultdict(float)
    for day, tecido, tipo, items, area, ov, el, il, em, with_qi, qi in groups:
        name = material_name(tecido)
        area = float(area or 0.0)
        total_items += items
        total_area += area
        by_day[day] += area
        for bucket in (by_material[name], by_type[tipo or OTHER_TYPE][name]):
            bucket[0] += area
            bucket[1] += items
        for label, count in zip(_FINISHES, (ov, el, il, em, with_qi), strict=True):
            finishes[label] += int(count or 0)
        eyelets += int(qi or 0)
        items_with_eyelets += int(with_qi or 0)
    ranking = _ranking(by_material, total_area)
    finish_ranking = [
        {
            "nome": label,
            "quantidade_itens": count,
            "area_total_m2": 0.0,
            "percentual_area": round(count / total_items * 100, 2) if total_items else 0.0,
        }
        for label, count in sorted(finishes.items(), key=lambda kv: (-kv[1], kv[0]))
        if count > 0
    ]
    peak_day = max(by_day, key=lambda d: (by_day[d], d)) if by_day else None
    return {
        "kpis": {
            "total_itens": total_items,
            "total_area_m2": round(total_area, 2),
            "material_mais_usado": ranking[0]["nome"] if ranking else None,
            "acabamento_mais_usado": finish_ranking[0]["nome"] if finish_ranking else None,
            "total_ilhos": eyelets,
            "total_itens_com_ilhos": items_with_eyelets,
            "data_pico": peak_day,
            "m2_pico": round(by_day[peak_day], 2) if peak_day else 0.0,
            # Read by the client, never sent by the old server: m² per day that had any item.
            "media_m2_dia": round(total_area / len(by_day), 2) if by_day else 0.0,
        },
        "ranking_materiais": ranking,
        "ranking_acabamentos": finish_ranking,
        "por_tipo_producao": {
            tipo: _ranking(names, sum(v[0] for v in names.values())) for tipo, names in sorted(by_type.items())
        },
    }


def evolution(groups: Iterable[Sequence[Any]], data_fim: str | None) -> dict[str, Any]:
    """The `GET /materiais/stats/evolucao` answer: the top 3 fabrics and each day's m² (total and theirs)."""
    per_day: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    totals: dict[str, float] = defaultdict(float)
    for day, tecido, _tipo, _items, area, *_ in groups:
        name = material_name(tecido)
        per_day[day][name] += float(area or 0.0)
        totals[name] += float(area or 0.0)
    top = [name for name, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:3]]
    points = [
        {
            "data": day,
            "total": round(sum(per_day[day].values()), 2),
            "top_materiais": {name: round(per_day[day].get(name, 0.0), 2) for name in top},
        }
        for day in sorted(per_day)
    ]
    if not points and data_fim:
        points.append({"data": data_fim, "total": 0.0, "top_materiais": {}})
    return {"top_3_nomes": top, "evolucao": points}
