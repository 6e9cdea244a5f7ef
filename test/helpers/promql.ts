/**
 * Offline PromQL parsing for the monitoring tests, with Prometheus' own grammar
 * (@prometheus-io/lezer-promql, the parser behind the Prometheus UI's editor): every dashboard
 * panel, recording and alert rule and Grafana alert expression is parsed without a running
 * Prometheus, and its vector selectors are read from the syntax tree rather than by regex.
 */
import { parser } from '@prometheus-io/lezer-promql';

export interface Selector {
  /** Metric name, '' for a selector with matchers only. */
  name: string;
  /** Label matchers by label name: [operator, value without quotes]. */
  matchers: Map<string, [string, string]>;
  text: string;
}

export interface ParsedPromQL {
  /** Syntax errors as `offset: text around it`; empty when the expression parses. */
  errors: string[];
  selectors: Selector[];
}

const unquote = (s: string): string => (s.length >= 2 ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s);

export function parsePromQL(expr: string): ParsedPromQL {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const selectors: Selector[] = [];
  if (expr.trim() === '') errors.push('0: empty expression');
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        errors.push(`${node.from}: ...${expr.slice(Math.max(0, node.from - 20), node.from + 20)}...`);
        return;
      }
      if (node.name !== 'VectorSelector') return;
      const sel: Selector = { name: '', matchers: new Map(), text: expr.slice(node.from, node.to) };
      const n = node.node;
      const id = n.getChild('Identifier');
      if (id) sel.name = expr.slice(id.from, id.to);
      const matchers = n.getChild('LabelMatchers');
      for (const m of matchers?.getChildren('UnquotedLabelMatcher') ?? []) {
        const label = m.getChild('LabelName');
        const op = m.getChild('MatchOp');
        const value = m.getChild('StringLiteral');
        if (label && op && value) sel.matchers.set(expr.slice(label.from, label.to), [expr.slice(op.from, op.to), unquote(expr.slice(value.from, value.to))]);
      }
      selectors.push(sel);
    },
  });
  return { errors, selectors };
}

/** A Grafana template variable's references: $name, ${name}, ${name:format}, [[name]]. */
function variablePattern(name: string): RegExp {
  return new RegExp(`\\$\\{${name}(?::[a-z]+)?\\}|\\$${name}\\b|\\[\\[${name}\\]\\]`, 'g');
}

/**
 * What Grafana sends to Prometheus for a panel query: the built-in interval variables and the
 * dashboard's template variables replaced by `values` (a variable's "All" is its allValue).
 * Throws on a `$name` nobody defined, so a typo cannot pass as a literal.
 */
export function substituteVariables(expr: string, values: Record<string, string>, builtins: { rateInterval?: string; interval?: string } = {}): string {
  let out = expr
    .replaceAll('$__rate_interval', builtins.rateInterval ?? '1m')
    .replaceAll('$__interval', builtins.interval ?? '15s')
    .replaceAll('$__range', '1h');
  // Longest names first, so $inference_job is not read as $inference followed by text.
  for (const name of Object.keys(values).sort((a, b) => b.length - a.length)) out = out.replace(variablePattern(name), values[name]!);
  const left = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(out);
  if (left) throw new Error(`undefined template variable $${left[1]} in ${expr}`);
  return out;
}
