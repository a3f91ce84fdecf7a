from graphfields import Field, IntValue, parse


def test_parse_smoke() -> None:
    sel = parse("id,media.first(3){id}")
    assert [f.name for f in sel.fields] == ["id", "media"]
    media = sel.fields[1]
    assert isinstance(media, Field)
    assert media.calls[0].args == (IntValue(3),)
