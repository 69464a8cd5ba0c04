/**
 * The JavaScript the workflows run through actions/github-script, against an in-memory GitHub that answers
 * the same REST calls (issues comments, commit pulls, workflow runs) with the same shapes.
 */
import { join } from "node:path";
import { ROOT } from "./workflow-files";

type Upsert = (options: {
  github: unknown;
  context: unknown;
  core: unknown;
  stack: string;
  body: string;
}) => Promise<{ action: string; id: number }>;
type FindReviewedPlan = (options: {
  github: unknown;
  context: unknown;
  workflow?: string;
}) => Promise<{ runId: number; pullRequest: number; headSha: string; runUrl: string }>;

const upsertPlanComment = require(join(ROOT, ".github/actions/plan-comment/upsert-comment.js")) as Upsert & {
  markerOf(stack: string): string;
};
const findReviewedPlan = require(join(ROOT, ".github/actions/reviewed-plan/find-reviewed-plan.js")) as FindReviewedPlan;

interface Comment {
  id: number;
  body: string;
  user: { login: string; type: "User" | "Bot" };
}

/** The parts of an Octokit client the scripts use, over in-memory data; paginate serves pages of 2. */
function fakeGitHub(data: { comments?: Comment[]; pulls?: unknown[]; runs?: unknown[] }) {
  const calls: string[] = [];
  let nextId = 1000;
  const comments = data.comments ?? [];
  const github = {
    calls,
    comments,
    async paginate(method: (params: any) => Promise<{ data: unknown }>, params: Record<string, unknown>) {
      const all: unknown[] = [];
      for (let page = 1; ; page++) {
        const { data: pageData } = await method({ ...params, per_page: 2, page });
        const items = Array.isArray(pageData) ? pageData : (pageData as { workflow_runs: unknown[] }).workflow_runs;
        all.push(...items);
        if (items.length < 2) return all;
      }
    },
    rest: {
      issues: {
        async listComments({ issue_number, page = 1, per_page = 30 }: any) {
          calls.push(`listComments #${issue_number} page ${page}`);
          return { data: comments.slice((page - 1) * per_page, page * per_page) };
        },
        async updateComment({ comment_id, body }: any) {
          calls.push(`updateComment ${comment_id}`);
          const comment = comments.find((c) => c.id === comment_id)!;
          comment.body = body;
          return { data: { id: comment_id, html_url: `https://github.example/c/${comment_id}` } };
        },
        async createComment({ issue_number, body }: any) {
          calls.push(`createComment #${issue_number}`);
          const comment: Comment = { id: nextId++, body, user: { login: "github-actions[bot]", type: "Bot" } };
          comments.push(comment);
          return { data: { id: comment.id, html_url: `https://github.example/c/${comment.id}` } };
        },
      },
      repos: {
        async listPullRequestsAssociatedWithCommit({ commit_sha }: any) {
          calls.push(`pulls of ${commit_sha}`);
          return { data: data.pulls ?? [] };
        },
      },
      actions: {
        async listWorkflowRuns({ workflow_id, head_sha, event, page = 1, per_page = 30 }: any) {
          calls.push(`runs of ${workflow_id} ${event} ${head_sha} page ${page}`);
          const runs = (data.runs ?? []).filter((r: any) => r.head_sha === head_sha && r.event === event);
          return { data: { total_count: runs.length, workflow_runs: runs.slice((page - 1) * per_page, page * per_page) } };
        },
      },
    },
  };
  return github;
}

const core = { info: () => undefined };
const prContext = {
  repo: { owner: "example-org", repo: "edgeplane" },
  issue: { number: 7 },
  payload: { pull_request: { number: 7 } },
};

describe("plan comment upsert", () => {
  const report = (stack: string, text: string) => `${upsertPlanComment.markerOf(stack)}\n### Plan for \`${stack}\`\n${text}\n`;

  test("creates the stack's comment, then updates that same comment in place", async () => {
    const github = fakeGitHub({
      comments: [
        { id: 1, body: "LGTM", user: { login: "alice", type: "User" } },
        { id: 2, body: report("edgeplane-dev", "old dev"), user: { login: "github-actions[bot]", type: "Bot" } },
      ],
    });
    const first = await upsertPlanComment({
      github,
      context: prContext,
      core,
      stack: "edgeplane-prod",
      body: report("edgeplane-prod", "v1"),
    });
    expect(first.action).toBe("created");
    const second = await upsertPlanComment({
      github,
      context: prContext,
      core,
      stack: "edgeplane-prod",
      body: report("edgeplane-prod", "v2"),
    });
    expect(second).toEqual({ action: "updated", id: first.id });
    const dev = await upsertPlanComment({
      github,
      context: prContext,
      core,
      stack: "edgeplane-dev",
      body: report("edgeplane-dev", "new dev"),
    });
    expect(dev).toEqual({ action: "updated", id: 2 });
    expect(github.comments.map((c) => [c.id, c.body.split("\n")[2]])).toEqual([
      [1, undefined],
      [2, "new dev"],
      [first.id, "v2"],
    ]);
    // Three comments at two per page: every page was read before deciding.
    expect(github.calls.filter((c) => c.startsWith("listComments")).slice(-2)).toEqual([
      "listComments #7 page 1",
      "listComments #7 page 2",
    ]);
  });

  test("never edits a person's comment that quotes the marker", async () => {
    const github = fakeGitHub({
      comments: [{ id: 5, body: `quoting: ${report("edgeplane-dev", "x")}`, user: { login: "mallory", type: "User" } }],
    });
    const result = await upsertPlanComment({
      github,
      context: prContext,
      core,
      stack: "edgeplane-dev",
      body: report("edgeplane-dev", "real"),
    });
    expect(result.action).toBe("created");
    expect(github.comments.find((c) => c.id === 5)!.body).toContain("quoting");
  });

  test("refuses a body without the marker or over GitHub's limit", async () => {
    const github = fakeGitHub({});
    await expect(
      upsertPlanComment({ github, context: prContext, core, stack: "edgeplane-dev", body: "no marker" }),
    ).rejects.toThrow("no marker");
    await expect(
      upsertPlanComment({
        github,
        context: prContext,
        core,
        stack: "edgeplane-dev",
        body: report("edgeplane-dev", "x".repeat(65_536)),
      }),
    ).rejects.toThrow("65536");
    expect(github.calls).toEqual([]);
  });
});

describe("finding the reviewed plan for a deploy", () => {
  const merged = {
    number: 42,
    merged_at: "2026-11-20T10:00:00Z",
    merge_commit_sha: "m".repeat(40),
    head: { sha: "h".repeat(40) },
  };
  const run = (id: number, created: string, status: string, conclusion: string | null, head = "h".repeat(40)) => ({
    id,
    created_at: created,
    status,
    conclusion,
    head_sha: head,
    event: "pull_request",
    html_url: `https://github.example/runs/${id}`,
  });
  const pushContext = { repo: { owner: "example-org", repo: "edgeplane" }, sha: "m".repeat(40) };

  test("takes the newest plan run of the merged pull request's last commit", async () => {
    const github = fakeGitHub({
      pulls: [merged],
      runs: [
        run(1, "2026-11-20T08:00:00Z", "completed", "failure"),
        run(3, "2026-11-20T09:30:00Z", "completed", "success"),
        run(2, "2026-11-20T09:00:00Z", "completed", "cancelled"),
        run(9, "2026-11-20T09:59:00Z", "completed", "success", "o".repeat(40)),
      ],
    });
    const found = await findReviewedPlan({ github, context: pushContext });
    expect(found).toEqual({ runId: 3, runUrl: "https://github.example/runs/3", pullRequest: 42, headSha: "h".repeat(40) });
    expect(github.calls).toContain(`runs of plan.yml pull_request ${"h".repeat(40)} page 1`);
  });

  test("refuses when the newest plan run did not succeed, even if an older one did", async () => {
    // An acknowledgement label removed after a green run: the newest run is blocked, so nothing is applied.
    const github = fakeGitHub({
      pulls: [merged],
      runs: [run(3, "2026-11-20T09:30:00Z", "completed", "success"), run(4, "2026-11-20T09:45:00Z", "completed", "failure")],
    });
    await expect(findReviewedPlan({ github, context: pushContext })).rejects.toThrow(
      "completed/failure, not a success: a blocked or failed plan is never applied",
    );
  });

  test("refuses a push that no pull request merged, and a pull request never planned", async () => {
    await expect(
      findReviewedPlan({
        github: fakeGitHub({ pulls: [{ ...merged, merge_commit_sha: "x".repeat(40) }] }),
        context: pushContext,
      }),
    ).rejects.toThrow("is not the result of merging a pull request");
    await expect(findReviewedPlan({ github: fakeGitHub({ pulls: [merged], runs: [] }), context: pushContext })).rejects.toThrow(
      "no plan.yml run for pull request #42 at its last commit",
    );
  });
});
