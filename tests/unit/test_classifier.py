"""The appeal classifier on messages it never saw, its corrections, its files and its CLI."""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

import numpy as np
import pytest

from bot.classify_cli import add_classify_parser, run_classify
from handlers.intake.classifier import ModelClassifier, ModelFileError, TextClassifier, default_model
from handlers.intake.classifier.adapter import MODEL_FILE
from handlers.intake.classifier.evaluation import read_rows
from handlers.intake.urgency import is_urgent
from handlers.roster.model import Category, Department, Roster
from storage.domain import NOT_APPEAL

FRESH = Path(__file__).parents[1] / "data" / "fresh_examples.csv"
LONG = Path(__file__).parents[1] / "data" / "long_appeals.csv"
ROUTES = {
    "融资信贷": "金融工作局",
    "用地规划": "自然资源和规划局",
    "用工人才": "人社局",
    "审批办证": "政务服务中心",
    "水电气暖": "供电公司",
    "税费": "税务局",
    "涉法涉诉": "司法局",
    "物流交通": "交通运输局",
    "市场开拓": "商务局",
    "政策咨询": "经信局",
    "环保安全": "生态环境局",
    "其他": "营商办",
}


def _roster(keywords: dict[str, tuple[str, ...]] | None = None) -> Roster:
    keywords = keywords or {}
    return Roster(
        bot_id="bot",
        bot_name="助企小助手",
        bot_aliases=(),
        rooms=(),
        members=(),
        departments=tuple(
            Department(name=d, aliases=("金融局",) if d == "金融工作局" else ()) for d in ROUTES.values()
        ),
        enterprises=(),
        categories=tuple(
            Category(name=c, department=d, keywords=keywords.get(c, ())) for c, d in ROUTES.items()
        ),
    )


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("classifier")


@pytest.fixture(scope="module")
def model(cache_dir: Path) -> TextClassifier:
    return default_model(cache_dir)  # trains from the seed corpus and caches the file


@pytest.fixture
def classifier(model: TextClassifier, cache_dir: Path) -> ModelClassifier:
    # A fresh copy per test, so that learn() in one test cannot leak into another.
    return ModelClassifier(TextClassifier.load(cache_dir / MODEL_FILE), _roster())


def test_fresh_examples_are_not_in_the_seed_corpus(model: TextClassifier) -> None:
    seed = {
        text for text, _ in read_rows(Path(__file__).parents[2] / "handlers/intake/classifier/data/seed.csv")
    }
    assert not [text for text, _ in read_rows(FRESH) if text in seed]


def test_chatter_is_never_an_appeal(classifier: ModelClassifier) -> None:
    chatter = [text for text, label in read_rows(FRESH) if label == NOT_APPEAL]
    assert len(chatter) >= 30
    opened = [text for text in chatter if classifier.classify(text).is_appeal]
    assert opened == []


def test_fresh_appeals_are_detected_and_routed(classifier: ModelClassifier) -> None:
    appeals = [(text, label) for text, label in read_rows(FRESH) if label != NOT_APPEAL]
    verdicts = [(label, classifier.classify(text)) for text, label in appeals]
    assert all(v.is_appeal for _, v in verdicts)
    for category, department in ROUTES.items():
        routed = [v.department for label, v in verdicts if label == category]
        assert len(routed) >= 3
        # Most of each category's fresh messages reach its department (one slip allowed).
        assert routed.count(department) >= len(routed) - 1, (category, routed)


def test_a_department_named_in_the_text_wins(classifier: ModelClassifier) -> None:
    verdict = classifier.classify("贷款到期续不上了，请税务局帮忙看一下能不能缓缴")
    assert verdict.is_appeal and verdict.department == "税务局"


def test_urgent_cues() -> None:
    assert is_urgent("车间突然断电，生产线全停了")
    assert is_urgent("工资都快发不出了")
    assert is_urgent("仓库着火了！！")
    assert not is_urgent("想咨询一下技改补贴怎么申报")


def test_urgent_appeal_verdict(classifier: ModelClassifier) -> None:
    verdict = classifier.classify("园区停水两天了，食品厂被迫停产，请自来水公司赶紧处理")
    assert verdict.is_appeal and verdict.urgent and 0.0 < verdict.confidence <= 1.0
    assert not classifier.classify("收到").urgent


def test_learn_changes_later_predictions(classifier: ModelClassifier) -> None:
    text = "园区食堂能不能延长营业时间到晚上十点"
    assert classifier.classify(text).category != "物流交通"
    classifier.learn(text, "物流交通")
    assert classifier.classify(text).category == "物流交通"
    chatter = "下周的参观学习我们公司想多去两个人"
    classifier.learn(chatter, NOT_APPEAL)
    assert not classifier.classify(chatter).is_appeal


def test_learn_a_label_the_model_never_saw(classifier: ModelClassifier) -> None:
    classifier.learn("核酸检测点能不能设到园区里面来", "疫情防控")
    assert classifier.classify("核酸检测点能不能设到园区里面来").category == "疫情防控"


def test_keywords_steer_without_retraining(model: TextClassifier) -> None:
    text = "想问一下园区展厅能不能借给我们办活动"
    plain = ModelClassifier(model, _roster()).classify(text)
    steered = ModelClassifier(model, _roster({"市场开拓": ("展厅", "办活动")})).classify(text)
    assert steered.category == "市场开拓"
    assert plain.category != "市场开拓" or steered.confidence > plain.confidence


def test_save_load_roundtrip(model: TextClassifier, tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = TextClassifier.load(path)
    for text, _ in read_rows(FRESH):
        a, b = model.predict(text), loaded.predict(text)
        assert (a.label, a.category) == (b.label, b.category)
        assert a.confidence == pytest.approx(b.confidence, abs=1e-3)


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


CUSTOM = {
    "噪音扰民": [
        "工地晚上施工太吵了",
        "楼下烧烤店半夜还在放音乐",
        "广场舞声音太大影响休息",
        "装修电钻从早响到晚",
    ],
    "道路维修": [
        "小区门口的路塌了一个坑",
        "人行道的砖全翘起来了",
        "路灯坏了一个月没人修",
        "下水道井盖不见了",
    ],
    "物业纠纷": ["物业乱收停车费", "电梯坏了物业不修", "物业费涨价没有公示", "小区绿化被物业改成车位"],
}


def test_custom_label_set_trains_and_evaluates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [(text, label) for label, texts in CUSTOM.items() for text in texts]
    model = TextClassifier.train(rows)
    assert sorted(model.categories) == sorted(CUSTOM)
    assert model.predict("晚上施工的声音太吵了").label == "噪音扰民"
    assert model.predict("收到").is_appeal  # no 非诉求 rows: every message is an appeal
    train, test = _write(tmp_path / "train.csv", rows), _write(tmp_path / "test.csv", rows[::2])
    assert _cli("classify", "eval", "--train", str(train), "--test", str(test)) == 0
    assert "噪音扰民" in capsys.readouterr().out


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="zhuqi")
    add_classify_parser(parser.add_subparsers(dest="command", required=True))
    return run_classify(parser.parse_args(argv))


def test_cli_train_predict_and_eval_last_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [(text, label) for label, texts in CUSTOM.items() for text in texts] + [
        ("收到", NOT_APPEAL), ("好的", NOT_APPEAL), ("谢谢领导", NOT_APPEAL), ("[强][握手]", NOT_APPEAL),
    ]  # fmt: skip
    data, out = _write(tmp_path / "data.csv", rows), tmp_path / "m.npz"
    assert _cli("classify", "train", "--data", str(data), "--out", str(out)) == 0
    assert _cli("classify", "predict", "--model", str(out), "物业乱收停车费") == 0
    assert _cli("classify", "eval", "--model", str(out), "--test", str(data)) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1].startswith("物业纠纷")
    assert any(line.startswith("appeal_detection precision=") for line in lines)
    assert re.fullmatch(r"macro_f1=[01]\.\d{4} accuracy=[01]\.\d{4} predict_per_s=\d+", lines[-1])


# --- issue 10: the model file, the tokenizer, the evaluation printout ---------------------------


def test_a_model_for_other_labels_refuses_to_load(model: TextClassifier, tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    model.save(path)
    with pytest.raises(ModelFileError, match=r"trained for other categories.*疫情防控"):
        TextClassifier.load(path, labels=[*model.categories, "疫情防控"])
    assert TextClassifier.load(path, labels=list(reversed(model.categories))).categories == model.categories
    assert len(str(model.meta["data_sha256"])) == 64 and model.meta["rows"] > 1000


def test_loading_never_unpickles(tmp_path: Path) -> None:
    import numpy as np

    path = tmp_path / "evil.npz"
    np.savez(path, meta=np.array([{"format": 4}], dtype=object))  # an object array is a pickle
    with pytest.raises(ModelFileError, match="not a zhuqi model file"):
        TextClassifier.load(path)
    (tmp_path / "garbage.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelFileError):
        TextClassifier.load(tmp_path / "garbage.npz")


def test_the_tokenizer_cuts_as_jieba_does(model: TextClassifier) -> None:
    import jieba

    from handlers.intake.classifier.features import DOMAIN_WORD_FREQ, DOMAIN_WORDS
    from handlers.intake.text import normalize

    reference = jieba.Tokenizer()  # jieba's own dictionary, with the same domain words
    for word in DOMAIN_WORDS:
        reference.add_word(word, DOMAIN_WORD_FREQ)
    for text, _ in read_rows(FRESH) + read_rows(LONG)[:40]:
        norm = normalize(text)
        expected = [w for w in reference.lcut(norm, HMM=False) if not _punctuation(w)]
        assert model.tokenizer.words(norm) == expected, text


def test_a_message_is_the_same_vector_as_in_training(tmp_path: Path) -> None:
    """The NumPy path (integer n-gram keys, lexicon from keys) gives what scikit-learn fitted."""
    from handlers.intake.classifier.features import shared_tokenizer
    from handlers.intake.classifier.vectors import Vectorizer

    texts = (
        [t for t, _ in read_rows(FRESH)]
        + [t for t, _ in read_rows(LONG)[:60]]
        + ["", "a b", "２０２６年 ＡＢＣ"]
    )
    vectorizer, matrix = Vectorizer.fit(texts, shared_tokenizer())
    for i, text in enumerate(texts):
        cols, vals = vectorizer.transform(text)
        row = matrix[i].toarray().ravel()
        ours = np.zeros_like(row)
        ours[cols] = vals
        assert np.allclose(ours, row), text


def test_a_recent_text_is_vectorised_once_and_its_vector_cannot_be_changed(model: TextClassifier) -> None:
    """One message is vectorised for its verdict, its 共性问题 signature and measure: made once."""
    text = "园区这周第三次停电了，生产线停了半天"
    model.vectorizer.transform.cache_clear()
    first = model.vectorizer.transform(text)
    again = model.vectorizer.transform(text)
    assert again[0] is first[0] and model.vectorizer.transform.cache_info().hits == 1
    with pytest.raises(ValueError, match="read-only"):
        first[1][0] = 0.0
    fresh = model.vectorizer._transform(text)
    assert np.array_equal(fresh[0], first[0]) and np.array_equal(fresh[1], first[1])


def _punctuation(word: str) -> bool:
    return not word.isalnum()


def test_eval_prints_calibration_confusions_and_the_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = read_rows(Path(__file__).parents[2] / "handlers/intake/classifier/data/seed.csv")
    train, test = _write(tmp_path / "train.csv", rows[::2]), _write(tmp_path / "test.csv", rows[1::4])
    assert _cli("classify", "eval", "--train", str(train), "--test", str(test)) == 0
    out = capsys.readouterr().out
    assert "costliest confusions (true → predicted):" in out
    assert "reliability of P(appeal)" in out and "reliability of P(category)" in out
    assert "expected calibration error" in out
    assert re.search(
        r"baseline \(char 1-3 tf-idf sublinear \+ LinearSVC\) macro_f1=0\.\d{4} ratio=\d\.\d{3}", out
    )
    assert re.fullmatch(
        r"macro_f1=[01]\.\d{4} accuracy=[01]\.\d{4} predict_per_s=\d+", out.strip().splitlines()[-1]
    )


def test_a_city_model_with_other_categories_stops_the_bot_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # var/ (database, caches) of this run lives here
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'z.db'}")
    rows = [(text, label) for label, texts in CUSTOM.items() for text in texts]
    TextClassifier.train(rows).save(tmp_path / "city.npz")
    config = Path(__file__).parents[2] / "config.example.toml"
    text = config.read_text(encoding="utf-8").replace(
        '# model_file = "city-model.npz"', f'model_file = "{tmp_path / "city.npz"}"'
    )
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    assert main(["run", "--config", str(tmp_path / "config.toml"), "--port", "0"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert (
        line.startswith("分类模型不可用 / classifier model unusable:")
        and "trained for other categories" in line
    )


@pytest.mark.parametrize(
    ("text", "passed_on"),
    [
        ("住建局通知：本周开展建筑工地扬尘专项检查", True),
        ("交警支队提醒：园区周边道路施工，请绕行", True),
        ("转发：税务总局关于增值税小规模纳税人减免政策的公告", True),
        ("【温馨提示】明天上午停水检修", True),
        ("我们收到通知说要停产整改，是什么原因", False),  # an appeal that mentions a notice
        ("请问通知什么时候发", False),
        ("园区停电了，生产线停了半天", False),
    ],
)
def test_a_post_that_passes_something_on_is_marked_as_such(text: str, passed_on: bool) -> None:
    """Announcements read like appeals word for word (they name a problem and an agency); how they
    are headed tells them apart, as one feature the model weighs."""
    from handlers.intake.classifier.features import shared_tokenizer, word_tokens
    from handlers.intake.text import normalize

    assert ("#announcement" in word_tokens(normalize(text), shared_tokenizer())) is passed_on


def test_remembered_vectors_are_forgotten_when_the_model_learns(classifier: ModelClassifier) -> None:
    """共性问题 candidates' vectors are remembered between appeals; a correction moves the weights,
    and the next measure uses the new ones."""
    a = "园区这周第三次停电了，生产线停了半天，损失很大"
    b = "我们厂区昨晚又停电了，机器全停，请供电公司查一下"
    before = classifier.similarities(a, [b], "水电气暖")
    assert classifier.similarities(a, [b], "水电气暖") == before  # the same, from memory
    for _ in range(3):
        classifier.learn("厂区停电，机器全停，订单交不了货", "市场开拓")
    fresh = ModelClassifier(classifier.model.copy(), classifier.roster)  # nothing remembered
    after = classifier.similarities(a, [b], "水电气暖")
    assert after == fresh.similarities(a, [b], "水电气暖") and after != before
