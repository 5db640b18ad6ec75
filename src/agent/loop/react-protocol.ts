import { z } from 'zod';
import type { AnyTool } from '../tools/tool.js';

/** One parsed ReAct step: a tool to call, or the final answer. */
export type ReactStep =
  | { kind: 'action'; tool: string; input: unknown; thought: string }
  | { kind: 'answer'; text: string };

/**
 * Instructions that let a model without function calling use tools through plain text
 * (`tool_protocol: react`): each tool with its JSON schema, and the Thought/Action/Final Answer format.
 */
export function reactInstructions(tools: readonly AnyTool[]): string {
  const list = tools
    .map(
      (tool) =>
        `- ${tool.name}: ${tool.description}\n  input schema: ${JSON.stringify(z.toJSONSchema(tool.schema))}`,
    )
    .join('\n');
  return `You can use tools. To use one, answer with exactly:
Thought: <why>
Action: <tool name>
Action Input: <one JSON object matching the tool's input schema>
Then stop and wait: the result comes back as "Observation: …". Use one tool per answer.
When you can answer the user, write:
Final Answer: <the answer, in the user's language>

Tools:
${list}`;
}

/** Reads a ReAct answer; text in neither format is taken as the final answer. */
export function parseReact(text: string): ReactStep {
  const final = /Final Answer:\s*([\s\S]*)$/i.exec(text);
  const action = /Action:\s*([A-Za-z0-9_.-]+)\s*(?:\n|$)/i.exec(text);
  if (action && (!final || action.index < final.index)) {
    const after = text.slice(action.index + action[0].length);
    const inputMatch = /Action Input:\s*/i.exec(after);
    const input = inputMatch ? firstJson(after.slice(inputMatch.index + inputMatch[0].length)) : {};
    const thought = /Thought:\s*([\s\S]*?)(?=\n\s*Action:|$)/i.exec(text)?.[1]?.trim() ?? '';
    return { kind: 'action', tool: action[1] as string, input: input ?? {}, thought };
  }
  if (final) return { kind: 'answer', text: (final[1] ?? '').trim() };
  return { kind: 'answer', text: text.trim() };
}

/** The first balanced JSON object at the start of `text`, parsed; the raw text when it is not JSON. */
function firstJson(text: string): unknown {
  const start = text.indexOf('{');
  if (start < 0) return text.trim().split('\n')[0] ?? '';
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '{') depth++;
    else if (char === '}' && --depth === 0) {
      try {
        return JSON.parse(text.slice(start, index + 1));
      } catch {
        return text.slice(start, index + 1);
      }
    }
  }
  return text.slice(start);
}
