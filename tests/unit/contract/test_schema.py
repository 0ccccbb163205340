"""The extract contract's extra columns: read and checked when an extract has them, never asked for."""

from analysis.contract import schema


def test_extra_columns_are_optional_dates_outside_the_template():
    person = schema.TABLE["ssd_person"]
    assert [(c.name, c.kind, c.required) for c in person.extra_columns] == [("pers_death_date", schema.DATE, False)]
    for table in schema.TABLES:
        assert not {c.name for c in table.extra_columns} & set(table.column_names), table.name
        assert "pers_death_date" not in schema.pandera_schema(table).columns
