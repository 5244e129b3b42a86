// static/js/csv.js: the upload's column picker reads the header as the server does (quoted names with commas,
// doubled quotes and line breaks; semicolons and tabs; a BOM; blank lines before it).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { csvHeader } from "../../static/js/csv.js";

describe("csvHeader", () => {
  test("plain names, trimmed", () => {
    assert.deepEqual(csvHeader("a, b ,label\n1,2,x\n"), ["a", "b", "label"]);
  });

  test("a quoted name may hold the delimiter, doubled quotes and a line break", () => {
    assert.deepEqual(csvHeader('"x,1","say ""hi""","two\nlines",y\n1,2,3,4\n'), ["x,1", 'say "hi"', "two\nlines", "y"]);
  });

  test("semicolons and tabs, as the server picks the delimiter", () => {
    assert.deepEqual(csvHeader("a;b;c\n1,5;2;3\n"), ["a", "b", "c"]);
    assert.deepEqual(csvHeader("a\tb\n1\t2\n"), ["a", "b"]);
    assert.deepEqual(csvHeader('"a;b",c\n'), ["a;b", "c"]); // the quoted semicolon does not count
  });

  test("a BOM, CRLF and blank lines before the header", () => {
    assert.deepEqual(csvHeader("\ufeff\r\n\r\nx,y\r\n1,2\r\n"), ["x", "y"]);
  });
});
