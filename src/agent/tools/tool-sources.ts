import type { AnyTool } from './tool.js';

/** Tools reached asynchronously (MCP servers, OpenAPI documents): the shape of the agent's source. */
export interface ToolSource {
  tools(): Promise<AnyTool[]>;
  close(): Promise<void>;
}

/** One source of several; null when there are none. A tool name taken by an earlier source wins. */
export function joinToolSources(
  sources: ReadonlyArray<ToolSource | null | undefined>,
): ToolSource | null {
  const present = sources.filter((source): source is ToolSource => Boolean(source));
  if (present.length === 0) return null;
  if (present.length === 1) return present[0] as ToolSource;
  return {
    tools: async () => {
      const lists = await Promise.all(present.map((source) => source.tools()));
      const taken = new Set<string>();
      return lists.flat().filter((tool) => !taken.has(tool.name) && taken.add(tool.name));
    },
    close: async () => {
      await Promise.all(present.map((source) => source.close()));
    },
  };
}
