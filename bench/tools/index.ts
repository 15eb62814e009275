/** Every tool the bench knows, in the default order of a run. */
import type { Tool } from '../types.js';
import { cniMasqTool, cniTool } from './cni.js';
import { floorLinkDelTool, floorTool } from './floor.js';
import { netavarkTool } from './netavark.js';
import { netreconMasqTool, netreconTool } from './netrecon.js';

export const TOOLS: readonly Tool[] = [floorTool, floorLinkDelTool, cniTool, cniMasqTool, netavarkTool, netreconTool, netreconMasqTool];

export function toolById(id: string): Tool | undefined {
  return TOOLS.find((t) => t.id === id);
}
