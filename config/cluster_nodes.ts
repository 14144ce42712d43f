// cluster.nodes: a CSV with the header `localSite,mode` and one node per line,
//   10.0.0.80:8802:datanode1,datanode
// Aliases are case sensitive and unique; so is each host:port, since a node listens on it.
// All bad lines are reported together.

import { ConfigError, throwIfAny, WHOLE_FILE, type Problem } from './config_error.js';
import { sourceLines, isBlankOrComment } from './source_lines.js';
import { parseSite, parseMode, siteText, type SiteWithMode } from './site.js';

export interface ClusterNode extends SiteWithMode {
  /** Line in cluster.nodes, for messages that point back at it. */
  readonly line: number;
}

export interface ClusterNodes {
  readonly file: string;
  readonly nodes: readonly ClusterNode[];
  readonly byAlias: ReadonlyMap<string, ClusterNode>;
}

export const CLUSTER_NODES_HEADER = 'localSite,mode';

export function parseClusterNodes(text: string, file: string): ClusterNodes {
  const lines = sourceLines(text);
  const first = lines[0];
  if (first === undefined || lines.every((l) => l.text === '')) {
    throw new ConfigError(file, 1, {
      code: 'EMPTY_FILE',
      problem: 'the nodes file is empty',
      action: `Write the header ${CLUSTER_NODES_HEADER} on the first line, then one host:port:alias,mode line per node`,
    });
  }
  // DolphinDB reports this case as "The input file is empty." (seed 001, FAQ Q1); we say what is really wrong.
  if (first.text === '') {
    throw new ConfigError(file, 1, {
      code: 'EMPTY_FIRST_LINE',
      problem: `the first line is empty, so the header "${CLUSTER_NODES_HEADER}" is not where it must be`,
      action: `Remove the empty line(s) at the top of ${file} so that it starts with ${CLUSTER_NODES_HEADER}, then restart the node`,
    });
  }
  checkHeader(first.text, file);

  const errors: ConfigError[] = [];
  const nodes: ClusterNode[] = [];
  const byAlias = new Map<string, ClusterNode>();
  const bySite = new Map<string, ClusterNode>();
  for (const line of lines.slice(1)) {
    if (isBlankOrComment(line)) continue;
    const node = parseNodeLine(line.text, line.number);
    if ('code' in node) {
      errors.push(new ConfigError(file, line.number, node));
      continue;
    }
    const sameAlias = byAlias.get(node.alias);
    if (sameAlias !== undefined) {
      errors.push(new ConfigError(file, line.number, {
        code: 'DUPLICATE_ALIAS',
        problem: `the alias ${node.alias} is already used on line ${sameAlias.line}`,
        action: 'Give every node its own alias (aliases are case sensitive)',
      }));
      continue;
    }
    const hostPort = `${node.host}:${node.port}`;
    const sameSite = bySite.get(hostPort);
    if (sameSite !== undefined) {
      errors.push(new ConfigError(file, line.number, {
        code: 'DUPLICATE_SITE',
        problem: `${node.alias} and ${sameSite.alias} (line ${sameSite.line}) both listen on ${hostPort}`,
        action: 'Give each node on the same host its own port',
      }));
      continue;
    }
    nodes.push(node);
    byAlias.set(node.alias, node);
    bySite.set(hostPort, node);
  }
  if (nodes.length === 0 && errors.length === 0) {
    errors.push(new ConfigError(file, WHOLE_FILE, {
      code: 'EMPTY_FILE',
      problem: 'the nodes file lists no nodes after its header',
      action: 'Add one host:port:alias,mode line per node',
    }));
  }
  throwIfAny(errors);
  return { file, nodes, byAlias };
}

function checkHeader(header: string, file: string): void {
  const columns = header.split(',').map((c) => c.trim().toLowerCase());
  if (columns.length === 2 && columns[0] === 'localsite' && columns[1] === 'mode') return;
  throw new ConfigError(file, 1, {
    code: 'BAD_HEADER',
    problem: `the first line is "${header}", not the header ${CLUSTER_NODES_HEADER}`,
    action: `Make ${CLUSTER_NODES_HEADER} the first line of ${file}`,
  });
}

function parseNodeLine(text: string, line: number): ClusterNode | Problem {
  const fields = text.split(',').map((f) => f.trim());
  if (fields.length !== 2) {
    return { code: 'BAD_LINE', problem: `"${text}" does not have the two columns localSite,mode`, action: 'Write host:port:alias,mode, e.g. 10.0.0.80:8802:datanode1,datanode' };
  }
  const [siteField = '', modeField = ''] = fields;
  const site = parseSite(siteField);
  if (!site.ok) return site.why;
  const mode = parseMode(modeField);
  if (!mode.ok) return { ...mode.why, problem: `${mode.why.problem} (node ${siteText(site.value)})` };
  return { ...site.value, mode: mode.value, line };
}

export function nodesWithMode(nodes: ClusterNodes, mode: ClusterNode['mode']): ClusterNode[] {
  return nodes.nodes.filter((n) => n.mode === mode);
}
