"""A third party's transformation and predicate, as a user writes them against dbconnect.api.

The transform tests load this module from a ``plugin.path`` directory (a copy under a fresh module
name) and as an entry point of an installed distribution; the task process builds them there.
"""

from dbconnect.api import Predicate, Struct, Transformation


class Shout(Transformation):
    """Upper-cases one text field of the value (a Struct or a map)."""

    aliases = ("com.example.transforms.Shout",)

    def config(self):
        return {"type": "object", "required": ["field"], "properties": {
            "field": {"type": "string", "minLength": 1, "description": "The value's field to upper-case."}}}

    def configure(self, configs):
        self.field = configs["field"]

    def apply(self, record):
        value = record.value
        if isinstance(value, Struct):
            changed = Struct(value.schema)
            for field in value.schema.fields:
                changed.put(field.name, value.get(field.name))
            changed.put(self.field, str(value.get(self.field)).upper())
        else:
            changed = {**value, self.field: str(value[self.field]).upper()}
        return record.new_record(value=changed)


class TopicEndsWith(Predicate):
    """True for records whose topic ends with ``suffix``."""

    aliases = ("com.example.predicates.TopicEndsWith",)

    def config(self):
        return {"type": "object", "required": ["suffix"], "properties": {
            "suffix": {"type": "string", "description": "The end of the topic names that match."}}}

    def configure(self, configs):
        self.suffix = configs["suffix"]

    def test(self, record):
        return record.topic.endswith(self.suffix)


class Drop(Transformation):
    """Drops every record it is applied to (paired with a predicate, as Kafka's Filter is)."""

    aliases = ("com.example.transforms.Drop",)

    def config(self):
        return {"type": "object", "properties": {}}

    def apply(self, record):
        return None
