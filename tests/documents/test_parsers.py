"""Unit tests of text extraction: format detection, decoding, and each format's rendering."""

from __future__ import annotations

import json

import pytest

from airbyte_embedded_tools._errors import AirbyteEmbeddedError
from airbyte_embedded_tools.documents.errors import ParseError, UnsupportedFormatError
from airbyte_embedded_tools.documents.parsers import (
    CSV_BLOCK_CHARS,
    TextPart,
    decode_text,
    detect_format,
    extract_text,
    render_json,
)


def make_pdf(pages: list[str]) -> bytes:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.cell(text=text)
    return bytes(pdf.output())


@pytest.mark.parametrize(
    ("path", "content_type", "expected"),
    [
        ("notes/a.txt", None, "text"),
        ("README.md", "text/plain", "markdown"),
        ("rows.CSV", "application/octet-stream", "csv"),
        ("rows.tsv", None, "csv"),
        ("x.json", None, "json"),
        ("x.ndjson", None, "jsonl"),
        ("page.htm", None, "html"),
        ("doc.pdf", "application/octet-stream", "pdf"),
        ("noext", "application/pdf", "pdf"),
        ("noext", "text/html; charset=utf-8", "html"),
        ("noext", "application/vnd.api+json", "json"),
        ("noext", "text/x-python", "text"),
        ("image.png", "image/png", None),
        ("blob.bin", "application/octet-stream", None),
        ("blob", None, None),
    ],
)
def test_detect_format(path: str, content_type: str | None, expected: str | None) -> None:
    assert detect_format(path, content_type) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("héllo wörld €".encode(), "héllo wörld €"),
        (b"\xef\xbb\xbf" + "bom ünïcode".encode(), "bom ünïcode"),
        ("utf16 ünï €".encode("utf-16"), "utf16 ünï €"),
        (b"\xfe\xff" + "big endian é".encode("utf-16-be"), "big endian é"),
        ("utf32 ü".encode("utf-32"), "utf32 ü"),
        ("cp1252 café – “quoted”".encode("cp1252"), "cp1252 café – “quoted”"),
        ("le sans bom é".encode("utf-16-le"), "le sans bom é"),
        (b"", ""),
    ],
)
def test_decode_text(raw: bytes, expected: str) -> None:
    assert decode_text(raw) == expected


def test_decode_text_never_raises_and_drops_a_cut_character() -> None:
    assert decode_text("abc€".encode()[:-1]) == "abc"
    # 0x81 is undefined in cp1252: the latin-1 fallback still decodes.
    assert decode_text(b"\x81\x8d\xff ok") == "\x81\x8d\xff ok"


def test_plain_text_and_markdown_are_kept_with_normalised_newlines() -> None:
    assert extract_text(b"a\r\nb\rc\n", path="x.txt") == [TextPart("a\nb\nc\n")]
    md = b"# Title\n\n- item *one*\n"
    assert extract_text(md, path="x.md") == [TextPart(md.decode())]


def test_empty_files_give_empty_text() -> None:
    for path in ("e.txt", "e.csv", "e.json", "e.jsonl", "e.html", "e.md", "e"):
        assert extract_text(b"", path=path) == [TextPart("")]


def test_csv_keeps_the_header_with_every_block() -> None:
    rows = "\n".join(f"{i},name {i},{i * 10}" for i in range(1000))
    parts = extract_text(f"id,name,amount\n{rows}\n".encode(), path="t.csv")
    assert len(parts) == 1
    blocks = parts[0].text.split("\n\n")
    assert len(blocks) > 5
    for block in blocks:
        assert block.startswith("id,name,amount\n")
        assert len(block) <= CSV_BLOCK_CHARS + 50
    body = [line for block in blocks for line in block.split("\n")[1:]]
    assert body == rows.split("\n")


@pytest.mark.parametrize(
    ("content", "first_line"),
    [
        (b"item;price\napple;1,50\npear;2,75\n", "item,price"),
        (b"name;comment\nA;hello, world\nB;x\n", "name,comment"),
        (b"a|b|c\n1|2|3\n", "a,b,c"),
        (b"a\tb\n1\t2\n", "a,b"),
        (b'id,text\n1,"one; two\nthree"\n2,plain\n', "id,text"),
        (b"a,b,c\n1,2,3\n4,5\n6,7,8\n", "a,b,c"),
    ],
)
def test_csv_delimiter_is_the_one_that_splits_rows_evenly(content: bytes, first_line: str) -> None:
    assert extract_text(content, path="d.csv")[0].text.split("\n")[0] == first_line


def test_a_one_column_csv_keeps_its_punctuation() -> None:
    content = b"name\nalice; bob\ncarol | dave\n"
    assert extract_text(content, path="d.csv")[0].text == "name\nalice; bob\ncarol | dave"


def test_csv_delimiter_is_chosen_from_the_first_rows_of_a_big_file() -> None:
    head = "a;b;c\n" + "".join(f"{i};x, y;{i}\n" for i in range(30))
    tail = "".join(f"{i},{i}\n" for i in range(2_000))  # past the rows the delimiter is chosen from
    text = extract_text((head + tail).encode(), path="big.csv")[0].text
    assert text.startswith('a,b,c\n0,"x, y",0\n')


def test_small_csv_is_header_plus_rows_with_quoting_and_sniffed_delimiter() -> None:
    text = extract_text(b'a;b\n1;"x,y"\n2;z\n', path="s.csv")[0].text
    assert text == 'a,b\n1,"x,y"\n2,z'
    tsv = extract_text(b"a\tb\n1\t2\n", path="s.tsv")[0].text
    assert tsv == "a,b\n1,2"


def test_json_is_pretty_but_compact() -> None:
    value = {"id": 1, "tags": ["a", "b"], "nested": {"k": "v" * 100}}
    text = extract_text(json.dumps(value).encode(), path="x.json")[0].text
    assert json.loads(text) == value
    assert '"tags": ["a", "b"]' in text
    assert "\n" in text
    assert render_json({"a": 1}) == '{"a": 1}'


def test_jsonl_one_compact_line_per_record() -> None:
    text = extract_text(b'{"a": 1}\n\n{"b": [1, 2]}\n', path="x.jsonl")[0].text
    assert text == '{"a": 1}\n{"b": [1, 2]}'


@pytest.mark.parametrize(
    ("path", "content", "where"),
    [
        ("bad.json", b'{"a": ', "malformed JSON"),
        ("bad.jsonl", b'{"a": 1}\n{oops}\n', "line 2"),
        ("bad.pdf", b"%PDF-1.4 this is not a pdf at all", "malformed PDF"),
    ],
)
def test_malformed_content_raises_parse_error(path: str, content: bytes, where: str) -> None:
    with pytest.raises(ParseError, match=where) as info:
        extract_text(content, path=path)
    assert isinstance(info.value, AirbyteEmbeddedError)
    assert path in str(info.value)


def test_html_drops_scripts_and_styles_and_breaks_blocks() -> None:
    html = b"""<!doctype html><html><head><title>T</title><style>.x{color:red}</style>
    <script>var secret = "SCRIPT TEXT";</script></head><body>
    <noscript>enable js</noscript><template><p>tmpl</p></template>
    <h1>Heading</h1><p>First   <b>bold</b>
    para&amp;more</p><ul><li>one</li><li>two</li></ul>
    <table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>
    <pre>  keep
  spaces</pre>line<br>break</body></html>"""
    text = extract_text(html, path="p.html")[0].text
    assert "SCRIPT TEXT" not in text
    assert "color" not in text
    assert "enable js" not in text
    assert "tmpl" not in text
    lines = text.split("\n")
    for expected in ("T", "Heading", "First bold para&more", "- one", "- two", "k | v", "a | 1"):
        assert expected in lines
    assert "  keep" in lines
    assert "  spaces" in lines
    assert lines[-2:] == ["line", "break"]


def test_pdf_one_part_per_page() -> None:
    parts = extract_text(make_pdf(["Page one text", "Second page"]), path="d.pdf")
    assert [p.page for p in parts] == [1, 2]
    assert "Page one text" in parts[0].text
    assert "Second page" in parts[1].text


def test_pdf_found_by_magic_without_a_known_extension() -> None:
    parts = extract_text(make_pdf(["magic"]), path="download", content_type=None)
    assert parts[0].page == 1
    assert "magic" in parts[0].text


def test_pdf_without_pypdf_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pypdf(name: str, *args: object, **kwargs: object) -> object:
        if name == "pypdf":
            raise ImportError("No module named 'pypdf'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_pypdf)
    with pytest.raises(ImportError, match=r"pip install 'airbyte-embedded-tools\[pdf\]'"):
        extract_text(b"%PDF-1.4", path="d.pdf")


def test_unknown_binary_is_unsupported_but_unknown_text_is_read() -> None:
    with pytest.raises(UnsupportedFormatError, match=r"blob\.bin"):
        extract_text(bytes(range(256)) * 4, path="blob.bin", content_type="application/x-foo")
    assert extract_text(b"plain words", path="LICENSE")[0].text == "plain words"
    legacy = "naïve café".encode("cp1252")
    assert extract_text(legacy, path="legacy.dat")[0].text == "naïve café"
