"""A small, bounded reader of Java serialization, for the objects JCEKS stores.

JCEKS keeps a secret key as a serialized javax.crypto.SealedObject whose
encrypted content is, once decrypted, another serialized object (a
SecretKeySpec or a KeyRep). pyjks hands these bytes to javaobj, a general
deserializer; here they are read as data only: no class is loaded or run,
every length is checked against what remains, and depth and object counts
are limited. Anything outside the grammar of plain serializable objects
(externalizable classes, proxies, exceptions in the stream) is refused.
"""

import struct
from typing import Any, TypeAlias

from .. import limits

MAGIC = b"\xac\xed\x00\x05"
_NULL, _REFERENCE, _CLASSDESC, _OBJECT, _STRING, _ARRAY = 0x70, 0x71, 0x72, 0x73, 0x74, 0x75
_BLOCKDATA, _ENDBLOCKDATA, _BLOCKDATALONG, _LONGSTRING, _ENUM = 0x77, 0x78, 0x7A, 0x7C, 0x7E
_BASE_HANDLE = 0x7E0000
_SERIALIZABLE, _WRITE_METHOD, _EXTERNALIZABLE = 0x02, 0x01, 0x04
_PRIMITIVES = {"B": ">b", "C": ">H", "D": ">d", "F": ">f", "I": ">i", "J": ">q", "S": ">h", "Z": ">?"}


class JavaSerializationError(ValueError):
    """The bytes are not a plain serialized Java object of the kind expected."""


class ClassDesc:
    def __init__(self, name: str, flags: int, fields: list[tuple[str, str]], superclass: "ClassDesc | None"):
        self.name, self.flags, self.fields, self.superclass = name, flags, fields, superclass

    def hierarchy(self) -> list["ClassDesc"]:
        """This class and its superclasses, topmost first (the order of the data)."""
        chain: list[ClassDesc] = []
        desc: ClassDesc | None = self
        while desc is not None:
            chain.append(desc)
            desc = desc.superclass
        return chain[::-1]


class JavaObject(dict[str, "JavaValue"]):
    """A deserialized object's fields, by name, and the names of its classes (most derived first)."""

    def __init__(self, classes: list[str]):
        super().__init__()
        self.classes = classes


# What a stream holds: null, a primitive, a string, a byte[] (bytes) or another array (a list),
# an enum constant (class name, constant name), a class description or an object.
JavaValue: TypeAlias = (
    "None | bool | int | float | str | bytes | tuple[str, str] | ClassDesc | JavaObject | list[JavaValue]")


class _Stream:
    def __init__(self, data: bytes, pos: int):
        self.data, self.pos, self.depth = data, pos, 0
        self.handles: list[JavaValue] = []

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise JavaSerializationError("truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> Any:
        """One value of a struct format (struct types it Any): an int for lengths and tags, and for a
        field's value also a float or a bool."""
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def utf(self, long: bool = False) -> str:
        size = self.unpack(">q" if long else ">H")
        raw = self.take(size).replace(b"\xc0\x80", b"\x00")
        try:
            return raw.decode("utf-8", "surrogatepass").encode("utf-16-be", "surrogatepass").decode("utf-16-be")
        except UnicodeError:
            raise JavaSerializationError("bad string") from None

    def new_handle(self, value: JavaValue) -> int:
        if len(self.handles) >= limits.JAVA_OBJECTS:
            raise JavaSerializationError("too many objects")
        self.handles.append(value)
        return len(self.handles) - 1

    def content(self) -> JavaValue:
        self.depth += 1
        if self.depth > limits.JAVA_NESTING:
            raise JavaSerializationError("nested too deeply")
        try:
            return self._content(self.unpack(">B"))
        finally:
            self.depth -= 1

    def _content(self, tag: int) -> JavaValue:
        if tag == _NULL:
            return None
        if tag == _REFERENCE:
            index: int = self.unpack(">i") - _BASE_HANDLE
            if not 0 <= index < len(self.handles):
                raise JavaSerializationError("bad reference")
            return self.handles[index]
        if tag in (_STRING, _LONGSTRING):
            text = self.utf(long=tag == _LONGSTRING)
            self.new_handle(text)
            return text
        if tag == _CLASSDESC:
            return self._class_desc()
        if tag == _OBJECT:
            return self._object()
        if tag == _ARRAY:
            return self._array()
        if tag == _ENUM:
            desc = self._desc()
            if desc is None:
                raise JavaSerializationError("enum without a class")
            handle = self.new_handle(None)
            constant = self.content()
            if not isinstance(constant, str):
                raise JavaSerializationError("bad enum constant")
            self.handles[handle] = (desc.name, constant)
            return self.handles[handle]
        raise JavaSerializationError(f"unsupported serialization element {tag:#x}")

    def _desc(self) -> ClassDesc | None:
        desc = self.content()
        if desc is not None and not isinstance(desc, ClassDesc):
            raise JavaSerializationError("expected a class description")
        return desc

    def _class_desc(self) -> ClassDesc:
        name = self.utf()
        self.take(8)  # serialVersionUID
        handle = self.new_handle(None)
        flags = self.unpack(">B")
        fields = []
        for _ in range(self.unpack(">H")):
            code = chr(self.unpack(">B"))
            field_name = self.utf()
            if code in "[L":
                if not isinstance(self.content(), str):
                    raise JavaSerializationError("bad field type")
            elif code not in _PRIMITIVES:
                raise JavaSerializationError("bad field type code")
            fields.append((code, field_name))
        self._annotations()
        desc = ClassDesc(name, flags, fields, None)
        self.handles[handle] = desc
        desc.superclass = self._desc()
        return desc

    def _annotations(self) -> None:
        """Class or object annotations: block data and objects up to TC_ENDBLOCKDATA, skipped."""
        while True:
            tag = self.data[self.pos] if self.pos < len(self.data) else None
            if tag is None:
                raise JavaSerializationError("truncated")
            if tag == _ENDBLOCKDATA:
                self.pos += 1
                return
            if tag == _BLOCKDATA:
                self.pos += 1
                self.take(self.unpack(">B"))
            elif tag == _BLOCKDATALONG:
                self.pos += 1
                self.take(self.unpack(">I"))
            else:
                self.content()

    def _object(self) -> JavaObject:
        desc = self._desc()
        if desc is None:
            raise JavaSerializationError("object without a class")
        classes = desc.hierarchy()
        obj = JavaObject([c.name for c in reversed(classes)])
        self.new_handle(obj)
        for cls in classes:
            if cls.flags & _EXTERNALIZABLE or not cls.flags & _SERIALIZABLE:
                raise JavaSerializationError(f"{cls.name} is not plainly serializable")
            for code, name in cls.fields:
                obj[name] = self.unpack(_PRIMITIVES[code]) if code in _PRIMITIVES else self.content()
            if cls.flags & _WRITE_METHOD:
                self._annotations()
        return obj

    def _array(self) -> bytes | list[JavaValue]:
        desc = self._desc()
        if desc is None or not desc.name.startswith("["):
            raise JavaSerializationError("bad array class")
        handle = self.new_handle(None)
        size = self.unpack(">i")
        component = desc.name[1]
        value: bytes | list[JavaValue]
        if component == "B":
            value = self.take(size)
        elif size > limits.JAVA_ARRAY_ELEMENTS:  # only byte[] holds key material: no other array is this long
            raise JavaSerializationError(f"an array of {size} elements")
        elif component in _PRIMITIVES:
            width = struct.calcsize(_PRIMITIVES[component])
            if size < 0 or size * width > len(self.data) - self.pos:
                raise JavaSerializationError("truncated")
            value = [self.unpack(_PRIMITIVES[component]) for _ in range(size)]
        else:
            if size < 0 or size > len(self.data) - self.pos:
                raise JavaSerializationError("truncated")
            value = [self.content() for _ in range(size)]
        self.handles[handle] = value
        return value


def read(data: bytes, pos: int = 0) -> tuple[JavaValue, int]:
    """(the object serialized at `pos`, the position after it)."""
    if data[pos:pos + 4] != MAGIC:
        raise JavaSerializationError("not a serialized Java object")
    stream = _Stream(data, pos + 4)
    value = stream.content()
    return value, stream.pos
