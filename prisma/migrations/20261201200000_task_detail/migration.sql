-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "detail" JSONB;
