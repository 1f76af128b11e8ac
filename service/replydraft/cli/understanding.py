"""`replydraft understanding`: train the intent classifier, and see what a message is read as.

    replydraft understanding train            # rebuild prompts/understanding/model.npz
    replydraft understanding check            # is the shipped model up to date? (exit 1 if not)
    replydraft understanding show "已付款还没发货" --sku BT-JN-4WS01
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from replydraft.cli.common import EXIT_VERDICT, cli_settings, report_errors

if TYPE_CHECKING:
    from replydraft.config import Settings
    from replydraft.drafting.understanding.training import TrainingSet

app = typer.Typer(no_args_is_help=True, add_completion=False)
console = Console()


def _training() -> tuple[Settings, Path, TrainingSet]:
    """The settings, where the shipped model lives, and the training set it must match."""
    from replydraft.drafting.understanding.intents import MODEL_FILE
    from replydraft.drafting.understanding.training import load_training_set

    settings = cli_settings()
    folder = settings.prompts_dir / "understanding"
    return settings, folder / MODEL_FILE, load_training_set(folder / "training")


@app.command("train")
@report_errors
def train_command() -> None:
    """Train the intent model on prompts/understanding/training/ and write it beside them."""
    from replydraft.drafting.understanding.classifier import train
    from replydraft.knowledge.embedding import build_embedder, embed_queries

    settings, path, training = _training()
    embedder = build_embedder(settings)
    started = time.perf_counter()
    model = train(training, lambda texts: embed_queries(embedder, texts), embedder.name)
    model.save(path)
    console.print(f"trained on {len(training.examples)} lines (digest {training.digest}) in "
                  f"{time.perf_counter() - started:.1f} s → {path}")
    for intent, threshold in zip(model.intents, model.thresholds.tolist(), strict=True):
        console.print(f"  {intent:<18} threshold {threshold:.3f}  "
                      f"lines {training.count(intent)}")


@app.command("check")
@report_errors
def check_command() -> None:
    """Exit 1 when the shipped model was not trained on the current training files."""
    from replydraft.drafting.understanding.classifier import load_model

    _, path, training = _training()
    model = load_model(path)
    if model is None or model.digest != training.digest:
        console.print(f"stale: the model was trained on {model.digest if model else 'nothing'}, "
                      f"the training files are {training.digest}; run "
                      "'replydraft understanding train'")
        raise typer.Exit(EXIT_VERDICT)
    console.print(f"up to date ({training.digest})")


@app.command("show")
@report_errors
def show_command(
    message: Annotated[str, typer.Argument(help="The customer's message.")],
    sku: Annotated[str | None, typer.Option(help="The product on the agent's screen.")] = None,
    rules_only: Annotated[bool, typer.Option("--rules-only",
                                             help="Without the trained model.")] = False,
) -> None:
    """What the drafter understands of MESSAGE, as JSON."""
    from replydraft.drafting.drafter import build_drafter
    from replydraft.drafting.models import DraftRequest
    from replydraft.knowledge.base import KnowledgeBase

    settings = cli_settings()
    drafter = build_drafter(settings, KnowledgeBase(settings))
    request = DraftRequest.model_validate(
        {"messages": [{"role": "customer", "text": message}], "sku": sku})
    seen = drafter.understand(request, rules_only=rules_only)
    out = {"language": seen.language,
           "intents": [s.model_dump() for s in seen.intents],
           **seen.report().model_dump()}
    console.print_json(json.dumps(out, ensure_ascii=False))
