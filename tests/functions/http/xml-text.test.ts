import { expect } from "chai";
import { childElements, childTexts, MalformedXml, unescapeXml } from "../../../functions/http/xml-text";

describe("XML text of request bodies", () => {
  it("replaces the five entities and character references once", () => {
    expect(unescapeXml("&lt;a&gt; &amp;amp; &quot;&apos; &#65;&#x42;&#X43; &#x1F600;")).to.equal(
      "<a> &amp; \"' ABC \u{1F600}",
    );
  });

  it("refuses references to no XML character and undefined entities, naming them", () => {
    for (const [text, message] of [
      ["&#xD800;", "&#xD800; is not a character XML allows"],
      ["&#57343;", "&#57343; is not a character XML allows"],
      ["&#0;", "&#0; is not a character XML allows"],
      ["&#x110000;", "&#x110000; is not a character XML allows"],
      ["&#99999999999;", "&#99999999999; is not a character XML allows"],
      ["&nbsp;", "the entity &nbsp; is not defined"],
    ]) {
      expect(() => unescapeXml(text as string), text).to.throw(MalformedXml, message as string);
    }
  });

  it("takes each element's inner text as written; only leaves are unescaped", () => {
    const xml =
      "<Delete><Object><Key>a/&amp;amp;</Key></Object><Object><Key>b</Key><VersionId>v</VersionId></Object></Delete>";
    const objects = childElements(xml, "Object");
    expect(objects).to.deep.equal(["<Key>a/&amp;amp;</Key>", "<Key>b</Key><VersionId>v</VersionId>"]);
    expect(objects.map((o) => childTexts(o, "Key")[0])).to.deep.equal(["a/&amp;", "b"]);
    expect(childTexts(xml, "Missing")).to.deep.equal([]);
    expect(childElements("<Part>1</Part><Part>2", "Part")).to.deep.equal(["1"]);
  });
});

describe("XML text: CDATA sections and the characters XML allows", () => {
  it("reads a CDATA section literally, markup and escapes included, next to escaped text", () => {
    const xml =
      "<Delete><Object><Key>a&amp;<![CDATA[&amp;<Key>x</Key>]]>b</Key></Object><Object><Key><![CDATA[]]></Key></Object></Delete>";
    const objects = childElements(xml, "Object");
    expect(objects.map((o) => childTexts(o, "Key"))).to.deep.equal([["a&&amp;<Key>x</Key>b"], [""]]);
  });

  it("finds no element inside a CDATA section", () => {
    expect(childTexts("<A><![CDATA[<B>1</B>]]></A><B>2</B>", "B")).to.deep.equal(["2"]);
  });

  it("refuses an unterminated CDATA section and characters XML does not allow, raw or in CDATA, naming them", () => {
    for (const [xml, message] of [
      ["<Key><![CDATA[abc</Key>", "a CDATA section is not closed"],
      ["<Key>a\u0001b</Key>", "U+0001 is not a character XML allows"],
      ["<Key>a\uFFFF</Key>", "U+FFFF is not a character XML allows"],
      ["<Key>\uFFFE</Key>", "U+FFFE is not a character XML allows"],
      ["<Key><![CDATA[\u001f]]></Key>", "U+001F is not a character XML allows"],
    ]) {
      expect(() => childTexts(xml as string, "Key"), JSON.stringify(xml)).to.throw(
        MalformedXml,
        message as string,
      );
    }
    expect(childTexts("<Key>\t\n\r\u{10FFFF}\uFFFD</Key>", "Key")).to.deep.equal(["\t\n\r\u{10FFFF}\uFFFD"]);
  });
});
