"""`zhuqi classify …`: train, try and evaluate the appeal classifier from the command line."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from handlers.intake.classifier import Prediction, TextClassifier, default_model
from handlers.intake.classifier.evaluation import (
    baseline_macro_f1,
    macro_f1,
    read_rows,
    reliability_lines,
    report_lines,
)
from storage.domain import NOT_APPEAL

log = logging.getLogger(__name__)

DEFAULT_CACHE = Path("var") / "classifier"


def add_classify_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("classify", help="诉求分类模型：训练、试用、评估")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="默认模型的缓存目录")
    commands = parser.add_subparsers(dest="classify_command", required=True)

    train = commands.add_parser("train", help="用 CSV（列 text,label）训练模型")
    train.add_argument("--data", type=Path, required=True)
    train.add_argument("--out", type=Path, required=True)
    train.set_defaults(handler=_train)

    predict = commands.add_parser("predict", help="给一句话分类")
    predict.add_argument("--model", type=Path, help="模型文件；缺省用种子语料训练的默认模型")
    predict.add_argument("text")
    predict.set_defaults(handler=_predict)

    evaluate = commands.add_parser("eval", help="在测试集上评估：各类准确率/召回率/F1")
    evaluate.add_argument("--test", type=Path, required=True)
    source = evaluate.add_mutually_exclusive_group()
    source.add_argument("--train", type=Path, help="先用这个 CSV 训练再评估")
    source.add_argument("--model", type=Path, help="评估已保存的模型")
    evaluate.set_defaults(handler=_eval)

    export = commands.add_parser("export", help="把台账里的诉求（更正后的类别）导出为训练 CSV")
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--config", type=Path, help="配置文件（数据库取 DATABASE_URL 或配置）")
    export.set_defaults(handler=_export)


def run_classify(args: argparse.Namespace) -> int:
    """Entry for bot.cli once it dispatches to `args.handler` (it returns the exit status)."""
    status: int = args.handler(args)
    return status


def _model(args: argparse.Namespace) -> TextClassifier:
    if getattr(args, "train", None):
        return TextClassifier.train(read_rows(args.train)).warm_up()
    if args.model:
        return TextClassifier.load(args.model).warm_up()
    return default_model(args.cache_dir).warm_up()


def _train(args: argparse.Namespace) -> int:
    rows = read_rows(args.data)
    model = TextClassifier.train(rows)
    model.save(args.out)
    print(f"已训练：{len(rows)} 条，{len(model.categories)} 个类别 → {args.out}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    p = _model(args).predict(args.text)
    print(
        f"{p.label}\tconfidence={p.confidence:.3f}\tappeal={p.appeal_probability:.3f}"
        f"\tcategory={p.category}({p.category_probability:.3f})"
    )
    return 0


def _eval(args: argparse.Namespace) -> int:
    model = _model(args)
    rows = read_rows(args.test)
    if not rows:
        print(f"{args.test} 里没有数据", file=sys.stderr)
        return 1
    train = read_rows(args.train) if getattr(args, "train", None) else None
    made: list[Prediction] = []  # each row predicted once: the report times it, calibration reads it

    def predict(text: str) -> str:
        made.append(model.predict(text))
        return made[-1].label

    def extra(predicted: list[str]) -> list[str]:
        lines = calibration_lines(made, [label for _, label in rows])
        if train is not None:
            ours, base = macro_f1([y for _, y in rows], predicted), baseline_macro_f1(train, rows)
            lines.append(
                "baseline (char 1-3 tf-idf sublinear + LinearSVC) "
                f"macro_f1={base:.4f} ratio={ours / base:.3f}"
            )
        return lines

    for line in report_lines(rows, predict, extra):
        print(line)
    return 0


def calibration_lines(made: list[Prediction], gold: list[str]) -> list[str]:
    """Reliability of P(appeal) (when the data has chatter) and of P(category) on true appeals."""
    predictions = list(zip(made, gold, strict=True))
    lines = []
    if NOT_APPEAL in gold:
        lines += reliability_lines(
            "P(appeal) — right = is an appeal",
            [p.appeal_probability for p, _ in predictions],
            [label != NOT_APPEAL for _, label in predictions],
        )
    appeals = [(p, label) for p, label in predictions if label != NOT_APPEAL and p.category]
    lines += reliability_lines(
        "P(category) on appeals — right = the category",
        [p.category_probability for p, _ in appeals],
        [p.category == label for p, label in appeals],
    )
    return lines


def _export(args: argparse.Namespace) -> int:
    from bot.classify_export import export_csv
    from bot.config import ConfigError

    try:
        count = export_csv(args.out, args.config)
    except ConfigError as exc:
        print(f"配置错误 / config error: {exc}", file=sys.stderr)
        return 2
    print(f"已导出：{count} 条 → {args.out}")
    return 0
