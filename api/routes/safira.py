"""POST /safira/ask: the shop's keyword assistant, answered from the database like the old server's.

Questions are matched by keywords (accents and case ignored); each intent is
one indexed count or the material report of the last 30 days. Unrecognised
questions get `recognized: false` and the list of what Safira understands.
"""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
from fastapi import APIRouter, Request
from starlette.responses import Response

from core.material_stats import stats
from core.safira import SafiraAnswer, SafiraQuestion, answer_text, decode_question, detect_intent
from readers.materiais_stats import material_groups
from readers.safira import COUNTING_INTENTS, safira_count

from ..body import read_body
from ..deps import CurrentUser, ReaderDep, SettingsDep
from ..responses import body_spec, json_content, json_response, ref

__all__ = ["router", "SCHEMAS"]

router = APIRouter(prefix="/safira", tags=["safira"])
_encoder = msgspec.json.Encoder()
SCHEMAS = (SafiraQuestion, SafiraAnswer)


@router.post(
    "/ask",
    summary="Perguntar à Safira",
    response_class=Response,
    openapi_extra=body_spec("SafiraQuestion"),
    responses={"200": json_content(ref("SafiraAnswer"))},
)
async def ask(request: Request, readers: ReaderDep, settings: SettingsDep, _: CurrentUser) -> Response:
    """`{recognized, intent, answer, meta}`; always 200 for a well-formed question."""
    question = decode_question(await read_body(request, settings.max_body_bytes)).question
    intent = detect_intent(question)
    today = date.today()  # the shop's local day: the server runs in the shop
    figures: dict[str, object] = {}
    if intent in COUNTING_INTENTS:
        figures = await safira_count(readers, intent, today.isoformat())
    elif intent == "material_mais_usado":
        start = (today - timedelta(days=30)).isoformat()
        report = stats(await material_groups(readers, start=start, end=today.isoformat(), tipo=None))
        top = report["ranking_materiais"][0] if report["ranking_materiais"] else None
        figures = {"nome": top["nome"], "area_m2": top["area_total_m2"]} if top else {}
    answer = SafiraAnswer(
        recognized=intent is not None,
        intent=intent or "unknown",
        answer=answer_text(intent or "ajuda", figures),
        meta=figures,
    )
    return json_response(_encoder.encode(answer))
