//! Finds import cycles between sibling modules. For each module, its children get an edge
//! A -> B when code anywhere under A names something under B; those edges must form a DAG, so
//! each sibling can be read (and split, and tested) without the ones that use it. A parent
//! naming its own children, or a child naming its ancestors, is how modules are meant to
//! meet and makes no edge.

use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    fmt::Write,
    path::Path,
};

use crate::modules::{ModPath, Reference, full_name};

/// One cycle among the children of `parent`: `members` starts and ends with the same module,
/// and `witnesses[i]` is a reference making the edge `members[i] -> members[i + 1]`.
#[derive(Debug)]
pub struct Cycle {
    pub parent: ModPath,
    pub members: Vec<String>,
    pub witnesses: Vec<Reference>,
}

impl Cycle {
    /// `crate::routes::{forgot -> password -> forgot}`
    pub fn name(&self) -> String {
        format!("{}::{{{}}}", full_name(&self.parent), self.members.join(" -> "))
    }

    /// The name and, per edge, the file and line that makes it (relative to `root`).
    pub fn describe(&self, root: &Path) -> String {
        let mut out = self.name();
        for (pair, witness) in self.members.windows(2).zip(&self.witnesses) {
            let file = witness.file.strip_prefix(root).unwrap_or(&witness.file);
            let _ = write!(
                out,
                "\n    {} -> {}: {}:{} names {}",
                pair[0],
                pair[1],
                file.display(),
                witness.line,
                witness.named
            );
        }
        out
    }
}

/// Edges between siblings, grouped by their parent, each with the first reference making it.
type SiblingGraphs = BTreeMap<ModPath, BTreeMap<String, BTreeMap<String, Reference>>>;

pub fn find_cycles(references: &[Reference]) -> Vec<Cycle> {
    let mut graphs = SiblingGraphs::new();
    for reference in references {
        let common = reference
            .from
            .iter()
            .zip(&reference.to)
            .take_while(|(a, b)| a == b)
            .count();
        // Inside the same child on both sides means the edge belongs to a deeper level; a
        // side with nothing left is the parent itself or an ancestor.
        if common < reference.from.len() && common < reference.to.len() {
            let parent = reference.from[..common].to_vec();
            let (from, to) = (reference.from[common].clone(), reference.to[common].clone());
            graphs
                .entry(parent)
                .or_default()
                .entry(from)
                .or_default()
                .entry(to)
                .or_insert_with(|| reference.clone());
        }
    }
    let mut cycles = Vec::new();
    for (parent, graph) in &graphs {
        for component in strongly_connected(graph) {
            cycles.extend(covering_cycles(graph, &component).into_iter().map(|members| {
                let witnesses = members
                    .windows(2)
                    .map(|pair| graph[&pair[0]][&pair[1]].clone())
                    .collect();
                Cycle {
                    parent: parent.clone(),
                    members,
                    witnesses,
                }
            }));
        }
    }
    cycles
}

type Graph = BTreeMap<String, BTreeMap<String, Reference>>;

/// Tarjan's algorithm; only components of two or more modules (a module never has an edge to
/// itself: that would be a reference inside one child).
fn strongly_connected(graph: &Graph) -> Vec<BTreeSet<String>> {
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<BTreeSet<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, node: &'a str) {
        let n = s.index.len();
        s.index.insert(node, n);
        s.low.insert(node, n);
        s.stack.push(node);
        s.on_stack.insert(node);
        let graph = s.graph;
        for next in graph.get(node).into_iter().flat_map(|edges| edges.keys()) {
            let next = next.as_str();
            if !s.index.contains_key(next) {
                visit(s, next);
                let low = s.low[node].min(s.low[next]);
                s.low.insert(node, low);
            } else if s.on_stack.contains(next) {
                let low = s.low[node].min(s.index[next]);
                s.low.insert(node, low);
            }
        }
        if s.low[node] == s.index[node] {
            let mut component = BTreeSet::new();
            while let Some(member) = s.stack.pop() {
                s.on_stack.remove(member);
                component.insert(member.to_owned());
                if member == node {
                    break;
                }
            }
            if component.len() > 1 {
                s.out.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.out
}

/// For each edge inside the component, the shortest cycle through it, each cycle once
/// (rotated to start at its smallest member): together they show every edge to break.
fn covering_cycles(graph: &Graph, component: &BTreeSet<String>) -> Vec<Vec<String>> {
    let mut cycles = BTreeSet::new();
    for from in component {
        for to in graph[from].keys().filter(|to| component.contains(*to)) {
            let Some(back) = shortest_path(graph, component, to, from) else {
                continue;
            };
            let mut cycle: Vec<String> = std::iter::once(from.clone()).chain(back).collect();
            cycle.pop();
            let start = cycle
                .iter()
                .enumerate()
                .min_by_key(|(_, name)| *name)
                .map_or(0, |(i, _)| i);
            cycle.rotate_left(start);
            cycle.push(cycle[0].clone());
            cycles.insert(cycle);
        }
    }
    cycles.into_iter().collect()
}

/// Breadth-first, within the component: `from`, ..., `to`.
fn shortest_path(graph: &Graph, component: &BTreeSet<String>, from: &str, to: &str) -> Option<Vec<String>> {
    let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(node) = queue.pop_front() {
        if node == to {
            let mut path = vec![to.to_owned()];
            let mut at = to;
            while at != from {
                at = previous[at];
                path.push(at.to_owned());
            }
            path.reverse();
            return Some(path);
        }
        for next in graph.get(node).into_iter().flat_map(|edges| edges.keys()) {
            if component.contains(next) && next != from && !previous.contains_key(next.as_str()) {
                previous.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}
