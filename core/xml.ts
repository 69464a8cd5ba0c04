/**
 * The little XML CloudFront's REST API needs (the sandbox emulator and functions/aws/cloudfront-fetch-transport.ts):
 * a strict reader (elements, text, the five predefined entities and character references; no DTDs, no CDATA) and an
 * escaping writer.
 */

export interface XmlElement {
  name: string;
  children: XmlElement[];
  /** Concatenated text directly inside the element, entities decoded. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeText(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) throw new SyntaxError("bare & in text");
    if (ref.startsWith("#x")) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith("#")) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const value = ENTITIES[ref];
    if (value === undefined) throw new SyntaxError(`unknown entity ${whole}`);
    return value;
  });
}

/** Parses a document with one root element; throws SyntaxError on anything malformed. */
export function parseXml(input: string): XmlElement {
  let text = input.replace(/^\uFEFF/, "");
  text = text.replace(/^\s*<\?xml[^?]*\?>/, "");
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|<!--[\s\S]*?-->/g;
  let last = 0;
  for (let m = tag.exec(text); m !== null; m = tag.exec(text)) {
    const between = text.slice(last, m.index);
    if (between.includes("<")) throw new SyntaxError(`malformed markup near offset ${last}`);
    if (stack.length > 0) (stack[stack.length - 1] as XmlElement).text += decodeText(between);
    else if (between.trim() !== "") throw new SyntaxError("text outside the root element");
    last = tag.lastIndex;
    if (m[0].startsWith("<!--")) continue;
    const [, closing, rawName, , selfClosing] = m as unknown as [string, string, string, string, string];
    const name = rawName.includes(":") ? (rawName.split(":")[1] as string) : rawName;
    if (closing) {
      const open = stack.pop();
      if (!open || open.name !== name) throw new SyntaxError(`unexpected </${rawName}>`);
      continue;
    }
    if (root && stack.length === 0) throw new SyntaxError("more than one root element");
    const element: XmlElement = { name, children: [], text: "" };
    if (stack.length > 0) (stack[stack.length - 1] as XmlElement).children.push(element);
    else root = element;
    if (!selfClosing) stack.push(element);
  }
  const rest = text.slice(last);
  if (rest.trim() !== "" || stack.length > 0 || !root) throw new SyntaxError("unterminated document");
  return root;
}

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

export function escapeXml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] as string,
  );
}

/** `<name>escaped text</name>`, or nested elements when given an array of already built strings. */
export function el(name: string, content: string | number | boolean | string[]): string {
  const inner = Array.isArray(content) ? content.join("") : escapeXml(String(content));
  return `<${name}>${inner}</${name}>`;
}
