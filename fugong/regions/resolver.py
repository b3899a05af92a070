"""Turns what people write for a region (a code, 长春市朝阳区, 吉林省长春市朝阳区) into a Region."""

from __future__ import annotations

from collections import defaultdict

from fugong.core.cells import CellError
from fugong.regions.models import Region, split_path


class RegionResolver:
    """Answers many look-ups: codes one query each (cached), names from an index of the whole
    table that is built on the first name look-up (a few thousand rows)."""

    def __init__(self) -> None:
        self.codes: dict[str, Region | None] = {}
        self.indexed = False

    def by_code_or_none(self, code: str) -> Region | None:
        if self.indexed:
            return self.by_code.get(code)
        if code not in self.codes:
            self.codes[code] = Region.objects.filter(code=code).first()
        return self.codes[code]

    def build_index(self) -> None:
        self.indexed = True
        regions = list(Region.objects.only("code", "name", "path", "admin_parent_id", "level", "kind"))
        self.by_code: dict[str, Region] = {r.code: r for r in regions}
        self.by_name: dict[str, set[str]] = defaultdict(set)
        for region in regions:
            for chain in (self._dispatch_chain(region), self._admin_chain(region)):
                names = [self.by_code[c].name for c in chain if c in self.by_code]
                for start in range(len(names)):
                    self.by_name["".join(names[start:])].add(region.code)

    def _dispatch_chain(self, region: Region) -> list[str]:
        return split_path(region.path)

    def _admin_chain(self, region: Region) -> list[str]:
        chain = [region.code]
        parent = region.admin_parent_id
        while parent and parent in self.by_code and len(chain) < 6:
            chain.insert(0, parent)
            parent = self.by_code[parent].admin_parent_id
        return chain

    def full_name(self, region: Region) -> str:
        return "".join(self.by_code[c].name for c in split_path(region.path) if c in self.by_code)

    def resolve(self, text: object) -> Region:
        value = "".join(str(text).split()).removesuffix(".0")
        if isinstance(text, float) and text.is_integer():
            value = str(int(text))
        region = self.by_code_or_none(value.upper())
        if region is not None:
            return region
        if not self.indexed:
            self.build_index()
        codes = self.by_name.get(value, set())
        if len(codes) == 1:
            return self.by_code[next(iter(codes))]
        if len(codes) > 1:
            options = "、".join(sorted(self.full_name(self.by_code[c]) for c in codes)[:5])
            raise CellError(f"区划“{value}”有重名：{options}；请写出上级名称或填写6位区划代码")
        raise CellError(f"找不到区划“{value}”，请填写6位区划代码（如220102）或完整名称（如长春市南关区）")
