"""GET /api/catalog: the engine's names, labels and formulas, and the defaults — the page's one source for them."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter

from app import schemas
from app.deps import TokenDep
from app.mathml import mathml
from engine.catalog import Entry, catalog

router = APIRouter(prefix="/api", tags=["catalog"], dependencies=[TokenDep])


def _formula(tex: str) -> schemas.Formula:
    return schemas.Formula(tex=tex, mathml=mathml(tex))


def _entry(entry: Entry) -> schemas.CatalogEntry:
    return schemas.CatalogEntry(
        name=entry.name,
        label=entry.label,
        formula=_formula(entry.tex),
        short=entry.short or None,
        derivative=_formula(entry.derivative_tex) if entry.derivative_tex else None,
        hidden=entry.hidden,
        elementwise=entry.elementwise,
        seed_rule=entry.seed_rule,
        outputs=list(entry.outputs) if entry.outputs is not None else None,
        hyperparameters=list(entry.hyperparameters) or None,
        parameters=[
            schemas.ActivationParameter(
                name=p.name, symbol=_formula(p.symbol), label=p.label, default=p.default, min=p.low, max=p.high
            )
            for p in entry.parameters
        ]
        or None,
    )


@cache
def catalog_model() -> schemas.Catalog:
    """The catalog in the wire schema (built once: the engine's registries do not change while it runs)."""
    cat = catalog()
    return schemas.Catalog(
        activations=[_entry(e) for e in cat.activations],
        losses=[_entry(e) for e in cat.losses],
        optimizers=[_entry(e) for e in cat.optimizers],
        initializers=[_entry(e) for e in cat.initializers],
        regularizations=[_entry(e) for e in cat.regularizations],
        datasets=list(cat.datasets),
        closed_form_deltas=[
            schemas.ClosedFormDelta(activation=p.activation, loss=p.loss, formula=_formula(p.tex))
            for p in cat.closed_form_deltas
        ],
        chain_rule_delta=_formula(cat.chain_rule_delta_tex),
        defaults=schemas.CatalogDefaults(
            optimizer=cat.default_optimizer,
            initializer=cat.default_initializer,
            regularization=cat.default_regularization,
            hidden_activation=cat.default_hidden_activation,
            output_activation=cat.default_output_activation,
            loss=cat.default_loss,
            loss_otherwise=cat.default_loss_otherwise,
        ),
    )


@router.get("/catalog", response_model=schemas.Catalog, summary="The engine's activations, losses, … and defaults")
def get_catalog() -> schemas.Catalog:
    return catalog_model()
