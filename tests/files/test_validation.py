import pytest

from files.errors import FileDoubleExtensionError, FileNameInvalidError
from files.validation import check_double_extension, sanitize_file_name


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("in\x00voice\x1b.pdf", "invoice.pdf"),
        ("\uff52\uff45\uff50\uff4f\uff52\uff54\uff0epdf", "report.pdf"),  # full-width
        ('a<b>:c"d|e?f*.pdf', "a_b__c_d_e_f_.pdf"),
        ("  notes .txt  ", "notes.txt"),
        ("con.pdf", "_con.pdf"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_sanitize_file_name(raw, clean):
    assert sanitize_file_name(raw) == clean


@pytest.mark.parametrize("raw", ["", "...", "/", "\u202e", " . "])
def test_sanitize_refuses_names_without_a_name(raw):
    with pytest.raises(FileNameInvalidError):
        sanitize_file_name(raw)


@pytest.mark.parametrize(
    "name", ["invoice.pdf.exe", "invoice.exe.pdf", "notes.js.txt", "a.html.png", "doc.docm.docx"]
)
def test_double_extensions_are_refused(name):
    with pytest.raises(FileDoubleExtensionError):
        check_double_extension(name)


@pytest.mark.parametrize("name", ["policy.v2.pdf", "scan.2024.01.pdf", "a.pdf.pdf", "report.pdf"])
def test_harmless_dotted_names_pass(name):
    check_double_extension(name)
