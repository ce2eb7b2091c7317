// The topology card's graph: React Flow drawing the positions that
// topologyLayout worked out. Read-only: boxes are coloured by status,
// workloads open their page on click or Enter (every box is focusable).
import { useEffect, useMemo, useRef, type KeyboardEvent } from "react";
import { useNavigate } from "react-router";
import { Controls, Handle, MarkerType, Position, ReactFlow, type Edge, type Node, type NodeProps, type ReactFlowInstance } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { toneOf } from "../../components/ui";
import { layoutTopology, type LayoutNode } from "./topologyLayout";
import type { Topology as TopologyData } from "../../api/types";

const kindLabel: Record<string, string> = {
  ingress: "Ingress",
  service: "Service",
  workload: "Workload",
  managed_service: "Managed service",
  dependency: "External dependency",
};

type BoxNode = Node<LayoutNode & Record<string, unknown>, "box">;

function Box({ data }: NodeProps<BoxNode>) {
  const tone = toneOf(data.status);
  return (
    <div className={`topo-box topo-${tone} topo-kind-${data.kind}`} title={data.detail || undefined}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="topo-kind">
        {kindLabel[data.kind] ?? data.kind}
        <span className={`topo-status badge badge-${tone}`}>{data.status.replaceAll("_", " ")}</span>
      </div>
      <div className="topo-name">{data.name}</div>
      {data.detail && <div className="topo-detail">{data.detail}</div>}
      {data.hosts.length > 0 && (
        <div className="topo-hosts">
          {data.hosts.map((h) => (
            <span key={h} className="chip" title={h}>
              {h}
            </span>
          ))}
        </div>
      )}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
}

const nodeTypes = { box: Box };
// Never shrink the boxes past legibility: on a narrow screen the graph is panned instead.
const fitViewOptions = { padding: 0.12, maxZoom: 1, minZoom: 0.6 };

/** TopologyGraph draws one environment's graph (the API's topology, managed services added). */
export function TopologyGraph({ slug, environment, graph }: { slug: string; environment: string; graph: Pick<TopologyData, "nodes" | "edges"> }) {
  const navigate = useNavigate();
  const laid = useMemo(() => layoutTopology(graph), [graph]);
  const nodes: BoxNode[] = useMemo(
    () =>
      laid.nodes.map((n) => ({
        id: n.id,
        type: "box",
        position: { x: n.x, y: n.y },
        width: n.width,
        height: n.height,
        data: { ...n },
        draggable: false,
        connectable: false,
        ariaLabel: `${kindLabel[n.kind] ?? n.kind} ${n.name}, ${n.status.replaceAll("_", " ")}${n.detail ? ", " + n.detail : ""}${n.hosts.length ? ", public at " + n.hosts.join(", ") : ""}${n.kind === "workload" ? ". Press Enter to open it" : ""}`,
        className: n.kind === "workload" ? "topo-clickable" : undefined,
      })),
    [laid],
  );
  const edges: Edge[] = useMemo(
    () =>
      laid.edges.map((e) => ({
        id: e.id,
        source: e.source,
        target: e.target,
        type: "smoothstep",
        markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
        focusable: false,
        selectable: false,
      })),
    [laid],
  );
  const open = (id: string) => {
    const n = laid.nodes.find((x) => x.id === id);
    if (n?.kind === "workload") navigate(`/apps/${slug}/workloads/${encodeURIComponent(n.name)}?environment=${encodeURIComponent(environment)}`);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== "Enter") return;
    const id = (e.target as HTMLElement).closest?.(".react-flow__node")?.getAttribute("data-id");
    if (id) open(id);
  };
  const height = Math.min(Math.max(laid.height + 80, 200), 560);
  // Fit the graph again when the card changes width (window resized).
  const box = useRef<HTMLDivElement>(null);
  const flow = useRef<ReactFlowInstance<BoxNode, Edge> | null>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    let width = el.clientWidth;
    const ro = new ResizeObserver(() => {
      if (el.clientWidth === width) return;
      width = el.clientWidth;
      void flow.current?.fitView(fitViewOptions);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return (
    <div className="topo" style={{ height }} ref={box}>
      <ReactFlow
        onInit={(i) => {
          flow.current = i;
        }}
        aria-label={`Topology of the ${environment} environment: ingress, services, workloads, managed services and dependencies`}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        fitViewOptions={fitViewOptions}
        minZoom={0.3}
        maxZoom={1.5}
        nodesDraggable={false}
        nodesConnectable={false}
        nodesFocusable
        edgesFocusable={false}
        elementsSelectable
        zoomOnScroll={false}
        preventScrolling={false}
        onNodeClick={(_, n) => open(n.id)}
        onKeyDown={onKeyDown}
        proOptions={{ hideAttribution: true }}
        ariaLabelConfig={{ "node.a11yDescription.default": "Tab moves between the boxes; Enter opens a workload." }}
      >
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
